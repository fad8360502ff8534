/**
 * A real Temporal dev server per test file (TestWorkflowEnvironment.createLocal on the Temporal CLI
 * found by the start script) with the ticket search attributes, and a worker on the prebuilt bundle.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createTicketWorker } from '../../src/worker/create-worker';
import { createTestDatabase, type TestDatabase } from './database';
import { testEnv } from './env';

/** Starts a local dev server (headless) with the ticket search attributes registered. */
export async function createTemporalEnvironment(): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: testEnv.temporalCli() },
      searchAttributes: TICKET_SEARCH_ATTRIBUTES,
      extraArgs: ['--headless', '--log-level', 'never'],
    },
  });
}

/** A running worker on a fresh task queue, and how to stop it. */
export interface RunningWorker {
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

/** Creates and runs the ticket worker on a new task queue of `env`. */
export async function startWorker(env: TestWorkflowEnvironment, prisma: PrismaClient): Promise<RunningWorker> {
  const taskQueue = `tickets-${randomUUID()}`;
  const worker = await createTicketWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    prisma,
    workflows: { workflowBundle: { codePath: testEnv.workflowBundle() } },
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** What {@link useTicketStack} provides to a test file once its `beforeAll` has run. */
export interface TicketStack {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  worker: RunningWorker;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that give the calling test file its own dev server,
 * database and running ticket worker, and tear all three down afterwards.
 */
export function useTicketStack(): TicketStack {
  const stack = {} as TicketStack;
  beforeAll(async () => {
    [stack.env, stack.db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
    stack.worker = await startWorker(stack.env, stack.db.prisma);
  });
  afterAll(async () => {
    await stack.worker?.stop();
    await stack.env?.teardown();
    await stack.db?.drop();
  });
  return stack;
}
