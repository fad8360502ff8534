/**
 * Ticket vocabulary shared by workflows, activities and the API: priorities and statuses.
 * Pure module (no Node, Prisma or Temporal imports). Seeds: 001/002 task priorities
 * (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`) and the ticket model of seed 002, Stream E.
 */
import { Phase } from './phases';

/** Ticket and task priorities, highest first. */
export const PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

/** One of {@link PRIORITIES}. */
export type Priority = (typeof PRIORITIES)[number];

/** Coarse lifecycle status of a ticket, for filtering; always derived from its phase. */
export const TicketStatus = {
  OPEN: 'open',
  IN_PROGRESS: 'in_progress',
  BLOCKED: 'blocked',
  DONE: 'done',
  /** Cancelled through the API or Temporal: final, whatever the phase. */
  CANCELLED: 'cancelled',
} as const;

/** One of the {@link TicketStatus} values. */
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];

/** The status a ticket has in `phase`: BACKLOG is open, BLOCKED blocked, DONE done, the rest in progress. */
export function statusForPhase(phase: Phase): TicketStatus {
  switch (phase) {
    case Phase.BACKLOG:
      return TicketStatus.OPEN;
    case Phase.BLOCKED:
      return TicketStatus.BLOCKED;
    case Phase.DONE:
      return TicketStatus.DONE;
    default:
      return TicketStatus.IN_PROGRESS;
  }
}

/** The Temporal workflow ID of a ticket's workflow: `ticket-<ticketId>`. */
export function ticketWorkflowId(ticketId: string): string {
  return `ticket-${ticketId}`;
}
