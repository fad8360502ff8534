/**
 * The `escalations` rows (issue 11, "Stalled tickets"): written by the `recordEscalation` and
 * `deliverEscalation` activities, read by `GET /escalations` and `GET /tickets/:id/escalations`.
 */
import type { Escalation, PrismaClient } from '@prisma/client';
import { RowNotFoundError } from '../phase-work/errors';
import { TICKET_NOT_FOUND } from './contracts';
import type { EscalationInput, EscalationKind, RecordedEscalation } from './sla';
import type { Phase } from './phases';

/** One delivery attempt to a webhook, as kept in the row's `deliveries`. */
export interface DeliveryAttempt {
  url: string;
  /** The activity attempt (1-based). */
  attempt: number;
  /** The webhook's HTTP status; null when it gave no answer (network error, timeout, missing secret). */
  status: number | null;
  /** Why the attempt failed, when it did. */
  error?: string;
  /** ISO 8601. */
  at: string;
}

/** An escalation as the API returns it (durations in ms, times ISO 8601). */
export interface EscalationView extends EscalationInput {
  id: string;
  createdAt: string;
  /** Last successful delivery; null until one succeeds. */
  deliveredAt: string | null;
  deliveries: DeliveryAttempt[];
}

/** Filter of {@link listEscalations}. */
export interface EscalationFilter {
  ticketId?: string;
  /** Only escalations created at or after this time. */
  since?: Date;
  /** At most this many, newest first. */
  limit: number;
}

/** Whether `attempt` reached its webhook with a 2xx answer. */
export function isDelivered({ status }: Pick<DeliveryAttempt, 'status'>): boolean {
  return status !== null && status >= 200 && status < 300;
}

/** The API view of a row. */
export function escalationView(row: Escalation): EscalationView {
  return {
    id: row.id,
    ticketId: row.ticketId,
    phase: row.phase as Phase,
    phaseEntry: row.phaseEntry,
    kind: row.kind as EscalationKind,
    slaMs: Number(row.slaMs),
    overdueMs: Number(row.overdueMs),
    enteredAt: row.enteredAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    deliveries: row.deliveries as unknown as DeliveryAttempt[],
  };
}

/**
 * Records one escalation, idempotently: a repeat for the same (ticket, phase entry, kind) keeps
 * the first row (its overdue figure included).
 *
 * @returns the row's ID and the webhook URLs it was already delivered to
 * @throws RowNotFoundError (`TicketNotFound`) when the ticket row does not exist
 */
export async function recordEscalation(prisma: PrismaClient, input: EscalationInput): Promise<RecordedEscalation> {
  const { ticketId, phase, phaseEntry, kind, slaMs, overdueMs, enteredAt } = input;
  const ticket = await prisma.ticket.findUnique({ where: { id: ticketId }, select: { id: true } });
  if (!ticket) throw new RowNotFoundError(TICKET_NOT_FOUND, `ticket ${ticketId} not found`);
  const row = await prisma.escalation.upsert({
    where: { ticketId_phaseEntry_kind: { ticketId, phaseEntry, kind } },
    create: { ticketId, phase, phaseEntry, kind, slaMs, overdueMs, enteredAt: new Date(enteredAt) },
    update: {},
  });
  const deliveredTo = escalationView(row)
    .deliveries.filter(isDelivered)
    .map(({ url }) => url);
  return { id: row.id, deliveredTo: [...new Set(deliveredTo)] };
}

/** The escalation with its ticket, or null when there is no such row. */
export function findEscalation(prisma: PrismaClient, id: string) {
  return prisma.escalation.findUnique({ where: { id }, include: { ticket: { select: { id: true, externalId: true, title: true, workflowId: true } } } });
}

/** Appends one delivery attempt to the row (atomically), and stamps `delivered_at` when it succeeded. */
export async function recordDeliveryAttempt(prisma: PrismaClient, escalationId: string, attempt: DeliveryAttempt): Promise<void> {
  const delivered = isDelivered(attempt);
  await prisma.$executeRaw`
    UPDATE escalations
    SET deliveries = deliveries || jsonb_build_array(${JSON.stringify(attempt)}::jsonb),
        delivered_at = CASE WHEN ${delivered} THEN ${new Date(attempt.at)}::timestamptz ELSE delivered_at END
    WHERE id = ${escalationId}::uuid`;
}

/** Escalations matching `filter`, newest first. */
export async function listEscalations(prisma: PrismaClient, { ticketId, since, limit }: EscalationFilter): Promise<EscalationView[]> {
  const rows = await prisma.escalation.findMany({
    where: { ticketId, createdAt: since && { gte: since } },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map(escalationView);
}
