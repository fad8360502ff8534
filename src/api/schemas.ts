/** zod schemas of the API's request bodies and query strings (seed 002/003 endpoints). */
import { z } from 'zod';
import { ALL_PHASES, type Phase } from '../domain/phases';
import { ALL_STATUSES, PRIORITIES, type TicketStatus } from '../domain/ticket';

const phase = z.enum(ALL_PHASES as [Phase, ...Phase[]]);
const text = (max: number) => z.string().trim().min(1).max(max);

/** POST /tickets body. */
export const createTicketBody = z.strictObject({
  externalId: text(255).optional(),
  title: text(500),
  description: z.string().max(20_000).optional(),
  priority: z.enum(PRIORITIES).optional(),
  labels: z.array(text(100)).max(50).optional(),
  acceptanceCriteria: z.array(text(2000)).max(100).optional(),
});

/** POST /tickets/:id/transition and /signals/transition body. `requestId` defaults to a new UUID. */
export const transitionBody = z.strictObject({
  toPhase: phase,
  reason: z.string().max(2000).optional(),
  transitionedBy: text(255).optional(),
  requestId: text(255).optional(),
});

/** GET /tickets query: filters and page (limit 1..100, default 20; offset ≥ 0). */
export const listTicketsQuery = z.strictObject({
  phase: phase.optional(),
  status: z.enum(ALL_STATUSES as [TicketStatus, ...TicketStatus[]]).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});
