/**
 * The ticket rows the ticket workflow's activities write besides transitions (seed 004 milestone
 * 1.4). Transitions are still written in activities/ticket/record-transition.ts; the queries of
 * the ticket client (src/ticket/client.ts) live there too.
 */
import type { PrismaClient } from '@prisma/client';
import { TaskStatus } from '../phase-work/tasks';
import type { CancellationRecord } from './contracts';
import { TicketStatus } from './ticket';

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
