/** What every row's scenario gets: the stack, both sides' clients, the sizes of this run, progress output. */
import type { BareClient, ProjectClient } from './clients';
import type { BenchStack } from './stack';

/** Sizes of one run (requests or tickets per side). */
export interface BenchSizes {
  /** Auto-policy tickets (and bare lifecycle workflows) worked BACKLOG→DONE at once. */
  lifecycleTickets: number;
  /** Tickets created (and transitioned) by 1 client. */
  oneClient: number;
  /** Tickets created (and transitioned) by 32 clients. */
  manyClients: number;
  /** Concurrent clients of the "many" rows. */
  concurrency: number;
  /** State queries at 1 client. */
  queries: number;
  /** List requests at 1 client. */
  lists: number;
  /** Open tickets (and bare workflows) stored for the idle rows. */
  openTickets: number;
  /** Transitions at `concurrency` clients with `openTickets` open. */
  idleTransitions: number;
  /** Longest wait for the project's phase work to settle after a row, ms. */
  settleTimeoutMs: number;
}

/** Quick mode: a few seconds per row, to prove the script works (`npm test`). */
export const QUICK_SIZES: BenchSizes = {
  lifecycleTickets: 2,
  oneClient: 5,
  manyClients: 32,
  concurrency: 32,
  queries: 20,
  lists: 10,
  openTickets: 50,
  idleTransitions: 20,
  settleTimeoutMs: 120_000,
};

/**
 * Full mode: about 10 minutes on 2 cores of their own, most of it the BACKLOG phase runs of the
 * 2,000 created tickets (14 min measured with the cores shared at a load average of 8–14).
 */
export const FULL_SIZES: BenchSizes = {
  lifecycleTickets: 10,
  oneClient: 50,
  manyClients: 256,
  concurrency: 32,
  queries: 200,
  lists: 100,
  openTickets: 2000,
  idleTransitions: 128,
  settleTimeoutMs: 300_000,
};

/** The context of one run. */
export interface BenchContext {
  stack: BenchStack;
  project: ProjectClient;
  bare: BareClient;
  sizes: BenchSizes;
  /** Prints one progress line. */
  say(line: string): void;
}
