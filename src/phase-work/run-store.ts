/**
 * Reading one phase run's rows (tasks, artifacts) and its ticket. A phase run is identified by
 * (ticket, phase, entry): see {@link PhaseRunRef}.
 */
import type { PrismaClient, Ticket } from '@prisma/client';
import { TICKET_NOT_FOUND, VALIDATION_TASK_TYPE, type PhaseRunRef } from './contracts';
import { RowNotFoundError } from './errors';

/** The ticket row. @throws RowNotFoundError TicketNotFound */
export async function loadTicket(prisma: PrismaClient, ticketId: string): Promise<Ticket> {
  const ticket = await prisma.ticket.findUnique({ where: { id: ticketId } });
  if (!ticket) throw new RowNotFoundError(TICKET_NOT_FOUND, `ticket ${ticketId} does not exist`);
  return ticket;
}

/** Where clause of a run's rows. */
export const runWhere = ({ ticketId, phase, entry }: PhaseRunRef) => ({ ticketId, phaseId: phase, phaseEntry: entry });

/** The run's tasks in creation order, the validation agent's review excluded. */
export function runTasks(prisma: PrismaClient, run: PhaseRunRef) {
  return prisma.task.findMany({
    where: { ...runWhere(run), taskType: { not: VALIDATION_TASK_TYPE } },
    orderBy: [{ createdAt: 'asc' }, { taskType: 'asc' }],
  });
}

/** The run's artifacts, oldest first (so for one type the latest counts last). */
export function runArtifacts(prisma: PrismaClient, run: PhaseRunRef) {
  return prisma.phaseGateArtifact.findMany({ where: runWhere(run), orderBy: [{ collectedAt: 'asc' }, { id: 'asc' }] });
}
