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
 * so a retried or late write can never move the ticket backwards.
 *
 * @returns `{ applied }`: whether the ticket row moved to this record (false when a later
 *   transition was already written).
 * @throws ApplicationFailure `TicketNotFound` (non-retryable) when the ticket row does not exist.
 */
export function createRecordTransition(prisma: PrismaClient) {
  return async function recordTransition({ ticketId, record }: RecordTransitionInput): Promise<{ applied: boolean }> {
    const [, updated] = await prisma.$transaction([
      prisma.phaseHistory.createMany({
        data: [
          {
            ticketId,
            sequence: record.sequence,
            fromPhase: record.fromPhase,
            toPhase: record.toPhase,
            transitionReason: record.reason,
            transitionedBy: record.transitionedBy,
            requestId: record.requestId,
            createdAt: new Date(record.occurredAt),
          },
        ],
        skipDuplicates: true,
      }),
      prisma.ticket.updateMany({
        where: { id: ticketId, version: { lt: record.sequence } },
        data: {
          phaseId: record.toPhase,
          previousPhaseId: record.fromPhase,
          status: statusForPhase(record.toPhase),
          blockedReason: record.toPhase === Phase.BLOCKED ? (record.reason ?? `blocked by ${record.transitionedBy}`) : null,
          version: record.sequence,
        },
      }),
    ]).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'P2003') {
        throw ApplicationFailure.nonRetryable(`ticket ${ticketId} does not exist`, TICKET_NOT_FOUND);
      }
      throw error;
    });
    return { applied: updated.count === 1 };
  };
}
