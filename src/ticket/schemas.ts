/** zod schemas of the ticket endpoints' request bodies and query strings (seed 002 Stream E, seed 003). */
import { z } from 'zod';
import { phase, plain, text } from '../api/schemas';
import { PRIORITIES, TicketStatus } from './ticket';
import { TICKET_POLICIES } from './settings';
import { repositoryName } from '../repositories/schemas';

/** Where a ticket came from: an http(s) URL of at most 2048 characters (other schemes, e.g. `javascript:`, are refused: it is shown as a link). */
export const sourceUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048);

/** POST /tickets body. */
export const createTicketBody = z.strictObject({
  externalId: text(255).optional(),
  title: text(500),
  description: plain(20_000).optional(),
  priority: z.enum(PRIORITIES).optional(),
  labels: z.array(text(100)).max(50).optional(),
  acceptanceCriteria: z.array(text(2000)).max(100).optional(),
  policy: z.enum(TICKET_POLICIES).optional(),
  /** Name of a registered repository the ticket is worked in (default: the configuration's `defaultRepository`). */
  repository: repositoryName.optional(),
  /** Where the ticket came from, e.g. the GitHub issue's URL; shown, never fetched. */
  sourceUrl: sourceUrl.optional(),
});

/** The fields of a ticket `PATCH /tickets/:id` may change (issue 11), as in {@link createTicketBody}. */
export const TICKET_CHANGE_FIELDS = ['title', 'description', 'priority', 'labels', 'acceptanceCriteria'] as const;

/**
 * PATCH /tickets/:id body (issue 11, clarification): at least one of {@link TICKET_CHANGE_FIELDS};
 * each replaces the stored value whole. `updatedBy` (who answers, default `api`) is recorded on the
 * transition that resumes a ticket blocked for clarification.
 */
export const updateTicketBody = createTicketBody
  .pick({ title: true, description: true, priority: true, labels: true, acceptanceCriteria: true })
  .partial()
  .extend({ updatedBy: text(255).optional() })
  .refine((value) => TICKET_CHANGE_FIELDS.some((field) => value[field] !== undefined), `give at least one of ${TICKET_CHANGE_FIELDS.join(', ')}`);

/** POST /tickets/:id/transition and /signals/transition body. `requestId` defaults to a new UUID. */
export const transitionBody = z.strictObject({
  toPhase: phase,
  reason: plain(2000).optional(),
  transitionedBy: text(255).optional(),
  requestId: text(255).optional(),
});

/** GET /tickets query: filters and page (limit 1..100, default 20; offset ≥ 0). */
export const listTicketsQuery = z.strictObject({
  phase: phase.optional(),
  status: z.enum(TicketStatus).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

/** POST /tickets/:id/cancel body. */
export const cancelTicketBody = z.strictObject({ reason: text(2000), requestedBy: text(255).optional() });

/**
 * GET /escalations and GET /tickets/:id/escalations query (issue 11): `ticket` (a ticket ID, the
 * first only), `since` (ISO 8601 with offset: created at or after), `limit` (1..500, default 100).
 */
export const listEscalationsQuery = z.strictObject({
  ticket: z.uuid().optional(),
  since: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The per-ticket form of {@link listEscalationsQuery}: the ticket is the path's. */
export const ticketEscalationsQuery = listEscalationsQuery.omit({ ticket: true });
