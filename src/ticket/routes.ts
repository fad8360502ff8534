/**
 * Ticket endpoints under /api/v1 (seed 002, Stream E API; seed 003, sub-task E5).
 * Every handler validates with zod first, so bad input is a 400 and nothing is written.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { Router } from 'express';
import { listEscalations } from './escalation-store';
import type { TransitionRequest } from './transition';
import type { TicketClient } from './client';
import {
  cancelTicketBody,
  createTicketBody,
  listEscalationsQuery,
  listTicketsQuery,
  ticketEscalationsQuery,
  transitionBody,
  updateTicketBody,
} from './schemas';

function transitionRequest(body: unknown): TransitionRequest {
  const parsed = transitionBody.parse(body);
  return { ...parsed, requestId: parsed.requestId ?? randomUUID() };
}

/** Builds the tickets router around a {@link TicketClient}. */
export function ticketsRouter(tickets: TicketClient): Router {
  const router = Router();

  /**
   * POST /tickets — body {@link createTicketBody}. Creates the row and starts the workflow.
   * 201 with the ticket; 200 with the existing ticket when `externalId` was seen before; 400.
   */
  router.post('/tickets', async (req, res) => {
    const { ticket, created } = await tickets.create(createTicketBody.parse(req.body));
    res.status(created ? 201 : 200).json(ticket);
  });

  /**
   * GET /tickets?phase=&status=&priority=&limit=&offset= — newest first.
   * 200 `{ items, total, limit, offset }`; 400 on unknown filters or values.
   */
  router.get('/tickets', async (req, res) => {
    const query = listTicketsQuery.parse(req.query);
    const { items, total } = await tickets.list(query);
    res.json({ items, total, limit: query.limit, offset: query.offset });
  });

  /**
   * GET /tickets/:id — the persisted ticket, plus `usage: { total, byPhase }`: tokens, cost (USD),
   * turns and duration (ms) of its agent executions, summed (issue 10). 200; 404 `TICKET_NOT_FOUND`.
   */
  router.get('/tickets/:id', async (req, res) => {
    res.json(await tickets.detail(req.params.id));
  });

  /**
   * PATCH /tickets/:id — body {@link updateTicketBody} (issue 11): changes the row; a ticket blocked
   * with cause `needs_clarification` then runs the phase it was blocked in again, with the change,
   * when `acceptanceCriteria` or `description` changed.
   * 200 with the ticket and `resumed` (whether it was resumed); 404 `TICKET_NOT_FOUND`; 409
   * `TICKET_NOT_ACTIVE` (done or cancelled); 400.
   */
  router.patch('/tickets/:id', async (req, res) => {
    const { updatedBy, ...changes } = updateTicketBody.parse(req.body);
    const { ticket, resumed } = await tickets.update(req.params.id, changes, updatedBy ?? 'api');
    res.json({ ...ticket, resumed });
  });

  /** GET /tickets/:id/state — live workflow state (query `getState`). 200; 404. */
  router.get('/tickets/:id/state', async (req, res) => {
    res.json(await tickets.state(req.params.id));
  });

  /**
   * POST /tickets/:id/transition — body `{ toPhase, reason?, transitionedBy?, requestId? }`, through
   * the workflow update. 200 with the new state once persisted; 409 `INVALID_TRANSITION` with
   * `details: { fromPhase, toPhase, validTransitions }`; 404; 400.
   */
  router.post('/tickets/:id/transition', async (req, res) => {
    res.json(await tickets.transition(req.params.id, transitionRequest(req.body)));
  });

  /**
   * POST /tickets/:id/signals/transition — same body, as a fire-and-forget signal.
   * 202 `{ requestId }`; the workflow records a rejection if the transition is invalid. 404; 400;
   * 409 when the ticket is already done.
   */
  router.post('/tickets/:id/signals/transition', async (req, res) => {
    const request = transitionRequest(req.body);
    await tickets.signalTransition(req.params.id, request);
    res.status(202).json({ requestId: request.requestId });
  });

  /**
   * POST /tickets/:id/cancel — body `{ reason, requestedBy? }`. The phase work stops (agents are
   * killed) and the ticket ends `cancelled` with the reason. 202 `{ ticketId }`; 409
   * TICKET_NOT_ACTIVE (done or already cancelled); 404; 400.
   */
  router.post('/tickets/:id/cancel', async (req, res) => {
    const { reason, requestedBy } = cancelTicketBody.parse(req.body);
    await tickets.cancel(req.params.id, reason, requestedBy ?? 'api');
    res.status(202).json({ ticketId: req.params.id });
  });

  /** GET /tickets/:id/phase-history — persisted transitions, oldest first. 200 `{ items }`; 404. */
  router.get('/tickets/:id/phase-history', async (req, res) => {
    res.json({ items: await tickets.phaseHistory(req.params.id) });
  });

  /** GET /tickets/:id/valid-transitions — 200 `{ validTransitions }` from the workflow; 404. */
  router.get('/tickets/:id/valid-transitions', async (req, res) => {
    res.json({ validTransitions: await tickets.validTransitions(req.params.id) });
  });

  return router;
}

/** Builds the escalations router (issue 11, "Stalled tickets") around the database and a {@link TicketClient}. */
export function escalationsRouter(prisma: PrismaClient, tickets: TicketClient): Router {
  const router = Router();

  /**
   * GET /escalations?ticket=&since=&limit= — escalations, newest first (query {@link listEscalationsQuery}).
   * 200 `{ items }` (see EscalationView: durations in ms, delivery attempts); 400 on unknown or
   * invalid parameters; 404 `TICKET_NOT_FOUND` when `ticket` names no ticket.
   */
  router.get('/escalations', async (req, res) => {
    const { ticket, since, limit } = listEscalationsQuery.parse(req.query);
    if (ticket !== undefined) await tickets.get(ticket);
    res.json({ items: await listEscalations(prisma, { ticketId: ticket, since, limit }) });
  });

  /** GET /tickets/:id/escalations?since=&limit= — the ticket's escalations, newest first. 200 `{ items }`; 400; 404. */
  router.get('/tickets/:id/escalations', async (req, res) => {
    const { since, limit } = ticketEscalationsQuery.parse(req.query);
    const ticket = await tickets.get(req.params.id);
    res.json({ items: await listEscalations(prisma, { ticketId: ticket.id, since, limit }) });
  });

  return router;
}
