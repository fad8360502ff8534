/**
 * Persists a ticket's cancellation (seed 004, milestone 1.4: "tasks can be cancelled via API;
 * resources cleaned up"): the ticket becomes `cancelled` with its reason, a final state, and every
 * task that had not finished is marked cancelled.
 */
import type { PrismaClient } from '@prisma/client';
import { TaskStatus } from '../src/domain/task';
import { TicketStatus } from '../src/domain/ticket';

/** Input of the `recordCancellation` activity. */
export interface CancellationRecord {
  ticketId: string;
  reason: string;
  requestedBy: string;
}

/** Builds the `recordCancellation` activity. Idempotent: plain updates of the same values. */
export function createRecordCancellation(prisma: PrismaClient) {
  return async function recordCancellation({ ticketId, reason, requestedBy }: CancellationRecord): Promise<void> {
    await prisma.$transaction([
      prisma.ticket.updateMany({ where: { id: ticketId }, data: { status: TicketStatus.CANCELLED, cancelReason: `${reason} (by ${requestedBy})` } }),
      prisma.task.updateMany({
        where: { ticketId, status: { in: [TaskStatus.PENDING, TaskStatus.RUNNING] } },
        data: { status: TaskStatus.CANCELLED, error: `ticket cancelled: ${reason}`, taskToken: null },
      }),
    ]);
  };
}
