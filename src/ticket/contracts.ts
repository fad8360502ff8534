/**
 * What the ticket workflow and its activities agree on (seed 002 Stream E; seed 004 milestone
 * 1.4): the inputs of `recordTransition` and `recordCancellation`, and {@link TicketActivities},
 * every activity the ticket workflow proxies (its own, the phase work's, the agents' and the
 * repositories'). Types
 * only: workflow code may import it; the implementations are in activities/ (see
 * activities/index.ts, whose `createActivities` returns this interface).
 */
import type { AgentActivities } from '../agents/contracts';
import type { PhaseWorkActivities } from '../phase-work/contracts';
import type { RepositoryActivities } from '../repositories/contracts';
import type { DeliverEscalationInput, EscalationInput, RecordedEscalation } from './sla';
import type { TransitionRecord } from './transition';

export { TICKET_NOT_FOUND } from '../phase-work/contracts';

/** Input of the `recordTransition` activity. */
export interface RecordTransitionInput {
  ticketId: string;
  record: TransitionRecord;
}

/** Input of the `recordCancellation` activity. */
export interface CancellationRecord {
  ticketId: string;
  reason: string;
  requestedBy: string;
}

/** Every activity the ticket workflow calls, keyed by activity name. */
export interface TicketActivities extends PhaseWorkActivities, AgentActivities, RepositoryActivities {
  /**
   * Persists one accepted transition (history row, ticket's phase fields), idempotently.
   * @returns whether the ticket row moved to this record. @throws ApplicationFailure TicketNotFound (non-retryable)
   */
  recordTransition: (input: RecordTransitionInput) => Promise<{ applied: boolean }>;
  /** Persists a ticket's cancellation: ticket and open tasks cancelled, locks released, workspace removed. */
  recordCancellation: (input: CancellationRecord) => Promise<void>;
  /**
   * Records one escalation (issue 11), idempotently per (ticket, phase entry, kind): a repeat
   * returns the same row. @returns its ID and the webhook URLs it was already delivered to.
   * @throws ApplicationFailure TicketNotFound (non-retryable)
   */
  recordEscalation: (input: EscalationInput) => Promise<RecordedEscalation>;
  /**
   * POSTs an escalation to one webhook, signed (`X-Orchestrator-Signature: sha256=<hex>`), and
   * records the attempt; a non-2xx answer or a network error fails the attempt (retried).
   * @throws ApplicationFailure EscalationNotFound / EscalationSecretMissing (non-retryable)
   */
  deliverEscalation: (input: DeliverEscalationInput) => Promise<void>;
}
