/**
 * Persists a ticket's cancellation (seed 004, milestone 1.4: "tasks can be cancelled via API;
 * resources cleaned up"): the ticket becomes `cancelled` with its reason, a final state, every
 * task that had not finished is marked cancelled, their resource locks are released and the
 * ticket's workspace is removed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import { TaskStatus } from '../../src/phase-work/tasks';
import { TicketStatus } from '../../src/ticket/ticket';

/** Input of the `recordCancellation` activity. */
export interface CancellationRecord {
  ticketId: string;
  reason: string;
  requestedBy: string;
}

/**
 * Builds the `recordCancellation` activity. Idempotent: plain updates of the same values, and
 * removing a workspace that is gone is a no-op.
 *
 * @param workspacesDir the directory of the per-ticket workspaces
 */
export function createRecordCancellation(prisma: PrismaClient, workspacesDir: string) {
  return async function recordCancellation({ ticketId, reason, requestedBy }: CancellationRecord): Promise<void> {
    const open = await prisma.task.findMany({ where: { ticketId }, select: { id: true } });
    await prisma.$transaction([
      prisma.resourceLock.deleteMany({ where: { taskId: { in: open.map((task) => task.id) } } }),
      prisma.ticket.updateMany({ where: { id: ticketId }, data: { status: TicketStatus.CANCELLED, cancelReason: `${reason} (by ${requestedBy})` } }),
      prisma.task.updateMany({
        where: { ticketId, status: { in: [TaskStatus.PENDING, TaskStatus.RUNNING] } },
        data: { status: TaskStatus.CANCELLED, error: `ticket cancelled: ${reason}`, taskToken: null },
      }),
    ]);
    await rm(path.join(workspacesDir, ticketId), { recursive: true, force: true });
  };
}
