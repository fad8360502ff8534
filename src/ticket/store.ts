/**
 * The ticket rows the ticket workflow's activities write: accepted transitions (seed 002, Stream E;
 * seed 003, sub-tasks E2/E4) and cancellations (seed 004 milestone 1.4). The read queries of the
 * API live with the ticket client (src/ticket/client.ts).
 */
import type { PrismaClient } from '@prisma/client';
import { RowNotFoundError } from '../phase-work/errors';
import { TaskStatus } from '../phase-work/tasks';
import { TICKET_NOT_FOUND, type CancellationRecord, type RecordTransitionInput } from './contracts';
import { Phase } from './phases';
import { statusForPhase, TicketStatus } from './ticket';

/**
 * Persists one accepted transition: a `phase_history` row and the ticket's phase fields (phase,
 * previous phase, status, and the blocked reason while in PHASE_BLOCKED).
 *
 * Idempotent and order-safe: the history row is keyed by (ticket, sequence), so a retry inserts
 * nothing new; the ticket row is updated only while its `version` is below the record's sequence,
 * so a retried or late write can never move the ticket backwards. One SQL statement (one round
 * trip, atomic on its own: issue 8 §2) inserts the row and updates the ticket.
 *
 * @returns `{ applied }`: whether the ticket row moved to this record (false when a later
 *   transition was already written)
 * @throws RowNotFoundError (`TicketNotFound`) when the ticket row does not exist
 */
export async function recordTransition(prisma: PrismaClient, { ticketId, record }: RecordTransitionInput): Promise<{ applied: boolean }> {
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
  if (!result || result.found === 0) throw new RowNotFoundError(TICKET_NOT_FOUND, `ticket ${ticketId} does not exist`);
  return { applied: result.applied === 1 };
}

/**
 * Marks the ticket `cancelled` with its reason (a final state), marks every task that had not
 * finished cancelled and releases their resource locks, in one transaction. Idempotent: plain
 * updates of the same values.
 */
export async function recordCancellation(prisma: PrismaClient, { ticketId, reason, requestedBy }: CancellationRecord): Promise<void> {
  const open = await prisma.task.findMany({ where: { ticketId }, select: { id: true } });
  await prisma.$transaction([
    prisma.resourceLock.deleteMany({ where: { taskId: { in: open.map((task) => task.id) } } }),
    prisma.ticket.updateMany({ where: { id: ticketId }, data: { status: TicketStatus.CANCELLED, cancelReason: `${reason} (by ${requestedBy})` } }),
    prisma.task.updateMany({
      where: { ticketId, status: { in: [TaskStatus.PENDING, TaskStatus.RUNNING] } },
      data: { status: TaskStatus.CANCELLED, error: `ticket cancelled: ${reason}`, taskToken: null },
    }),
  ]);
}
