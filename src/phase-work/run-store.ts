/**
 * Reading one phase run's rows (tasks, artifacts) and the failures activities share. A phase run
 * is identified by (ticket, phase, entry): see `PhaseRun` in src/domain/ticket-lifecycle.ts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PrismaClient, Ticket } from '@prisma/client';
import type { Phase } from '../ticket/phases';

/** Identifies one run of a phase's work. */
export interface PhaseRunRef {
  ticketId: string;
  phase: Phase;
  /** Sequence of the transition that began the run (0 before any transition). */
  entry: number;
}

/** Task type of the validation agent's review (seed 002, ValidationAgent); not part of the phase's own tasks. */
export const VALIDATION_TASK_TYPE = 'validate_phase';

/** Failure type of a missing ticket row (non-retryable). */
export const TICKET_NOT_FOUND = 'TicketNotFound';

/** Failure type of a missing task row (non-retryable). */
export const TASK_NOT_FOUND = 'TaskNotFound';

/** The ticket row. @throws ApplicationFailure TicketNotFound (non-retryable) */
export async function loadTicket(prisma: PrismaClient, ticketId: string): Promise<Ticket> {
  const ticket = await prisma.ticket.findUnique({ where: { id: ticketId } });
  if (!ticket) throw ApplicationFailure.nonRetryable(`ticket ${ticketId} does not exist`, TICKET_NOT_FOUND);
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
