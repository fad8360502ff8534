/**
 * Persists one accepted phase transition (seed 002, Stream E: `transition_ticket` records
 * history; seed 003, sub-tasks E2/E4): a `phase_history` row and the ticket's phase fields
 * (phase, previous phase, status, and the blocked reason while in PHASE_BLOCKED).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import { Phase } from '../../src/ticket/phases';
import { statusForPhase } from '../../src/ticket/ticket';
import { TICKET_NOT_FOUND, type RecordTransitionInput } from '../../src/ticket/contracts';

/**
 * Builds the `recordTransition` activity.
 *
 * Idempotent and order-safe: the history row is keyed by (ticket, sequence), so a retry inserts
 * nothing new; the ticket row is updated only while its `version` is below the record's sequence,
 * so a retried or late write can never move the ticket backwards. One SQL statement (one round
 * trip, atomic on its own: issue 8 §2) inserts the row and updates the ticket.
 *
 * @returns `{ applied }`: whether the ticket row moved to this record (false when a later
 *   transition was already written).
 * @throws ApplicationFailure `TicketNotFound` (non-retryable) when the ticket row does not exist.
 */
export function createRecordTransition(prisma: PrismaClient) {
  return async function recordTransition({ ticketId, record }: RecordTransitionInput): Promise<{ applied: boolean }> {
    const blockedReason = record.toPhase === Phase.BLOCKED ? (record.reason ?? `blocked by ${record.transitionedBy}`) : null;
    const [result] = await prisma.$queryRaw<{ found: number; applied: number }[]>`
      WITH ticket AS (SELECT id FROM tickets WHERE id = ${ticketId}::uuid),
      inserted AS (
        INSERT INTO phase_history (id, ticket_id, sequence, from_phase, to_phase, transition_reason, transitioned_by, request_id, created_at)
        SELECT gen_random_uuid(), id, ${record.sequence}, ${record.fromPhase}, ${record.toPhase}, ${record.reason ?? null}, ${record.transitionedBy ?? null},
               ${record.requestId}, ${new Date(record.occurredAt)}::timestamptz
        FROM ticket
        ON CONFLICT DO NOTHING
        RETURNING 1
      ),
      updated AS (
        UPDATE tickets
        SET phase_id = ${record.toPhase}, previous_phase_id = ${record.fromPhase}, status = ${statusForPhase(record.toPhase)},
            blocked_reason = ${blockedReason}, version = ${record.sequence}, updated_at = now()
        WHERE id = ${ticketId}::uuid AND version < ${record.sequence}
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM ticket)::int AS found, (SELECT count(*) FROM updated)::int AS applied`;
    if (!result || result.found === 0) throw ApplicationFailure.nonRetryable(`ticket ${ticketId} does not exist`, TICKET_NOT_FOUND);
    return { applied: result.applied === 1 };
  };
}
