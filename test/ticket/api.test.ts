/**
 * The REST API's ticket and transition endpoints, mounted directly (supertest) on a real Temporal
 * dev server, worker and PostgreSQL. Phase work is out of the way here (no active templates, no
 * gated phases, manual policy); test/api/phase-work-api.test.ts covers its endpoints.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { Client } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import { createLogger } from '../../src/platform/logger';
import { createTicketWorkers } from '../../src/worker/create-worker';
import { testEnv } from '../helpers/env';
import { STATE_MACHINE_ONLY, stackApp, testActivities, testSettings, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let app: Express;

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  app = stackApp(stack, STATE_MACHINE_ONLY);
});

const api = () => request(app);

async function createTicket(overrides: Record<string, unknown> = {}) {
  const response = await api()
    .post('/api/v1/tickets')
    .send({ title: 'Ticket', externalId: `EXT-${randomUUID()}`, priority: 'MEDIUM', policy: 'manual', ...overrides });
  expect(response.status).toBe(201);
  return response.body as { id: string; workflowId: string; externalId: string };
}

const transition = (id: string, toPhase: string, extra: Record<string, unknown> = {}) =>
  api()
    .post(`/api/v1/tickets/${id}/transition`)
    .send({ toPhase, ...extra });

function expectError(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

describe('POST /api/v1/tickets', () => {
  it('creates the row and starts the ticket workflow', async () => {
    const ticket = await createTicket({ title: 'Create me', labels: ['a'], acceptanceCriteria: ['works'] });
    expect(ticket).toMatchObject({ title: 'Create me', phaseId: Phase.BACKLOG, status: 'open', labels: ['a'], acceptanceCriteria: ['works'], version: 0 });
    expect(ticket.workflowId).toBe(`ticket-${ticket.id}`);
    const description = await stack.env.client.workflow.getHandle(ticket.workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(stack.worker.taskQueue);
  });

  it('is idempotent on externalId: a second POST returns the same ticket with 200', async () => {
    const first = await createTicket({ externalId: 'SAME-1' });
    const second = await api().post('/api/v1/tickets').send({ title: 'Ticket', externalId: 'SAME-1' });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.id);
    expect(await stack.db.prisma.ticket.count({ where: { externalId: 'SAME-1' } })).toBe(1);
  });

  it.each([
    ['missing title', {}],
    ['empty title', { title: '  ' }],
    ['wrong type', { title: 42 }],
    ['unknown priority', { title: 't', priority: 'URGENT' }],
    ['unknown field', { title: 't', colour: 'red' }],
    ['labels not strings', { title: 't', labels: [1] }],
  ])('rejects %s with 400 and the failing fields, writing nothing', async (_name, body) => {
    const before = await stack.db.prisma.ticket.count();
    const response = await api().post('/api/v1/tickets').send(body);
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.details.issues.length).toBeGreaterThan(0);
    expect(await stack.db.prisma.ticket.count()).toBe(before);
  });

  it('rejects malformed JSON with 400 INVALID_JSON', async () => {
    const response = await api().post('/api/v1/tickets').set('content-type', 'application/json').send('{"title":');
    expectError(response, 400, 'INVALID_JSON');
  });

  it('rejects an unsupported charset with 415', async () => {
    const response = await api().post('/api/v1/tickets').set('content-type', 'application/json; charset=klingon').send('{"title":"t"}');
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects an oversized body with 413', async () => {
    const response = await api()
      .post('/api/v1/tickets')
      .send({ title: 't', description: 'x'.repeat(300 * 1024) });
    expectError(response, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('transitions', () => {
  it('moves a ticket through every phase via POST /transition and records the history', async () => {
    const ticket = await createTicket();
    for (const phase of PHASE_SEQUENCE.slice(1)) {
      const response = await transition(ticket.id, phase, { reason: 'ok', transitionedBy: 'alice' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ phase, ticketId: ticket.id });
    }
    const history = await api().get(`/api/v1/tickets/${ticket.id}/phase-history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((row: { toPhase: string }) => row.toPhase)).toEqual(PHASE_SEQUENCE.slice(1));
    expect(history.body.items[0]).toMatchObject({ fromPhase: Phase.BACKLOG, transitionedBy: 'alice', transitionReason: 'ok', sequence: 1 });
    const row = await api().get(`/api/v1/tickets/${ticket.id}`);
    expect(row.body).toMatchObject({ phaseId: Phase.DONE, previousPhaseId: Phase.DEPLOYMENT, status: 'done' });
    // A finished ticket accepts nothing more.
    const after = await transition(ticket.id, Phase.BLOCKED);
    expectError(after, 409, 'INVALID_TRANSITION');
    expect(after.body.error.details.validTransitions).toEqual([]);
  });

  it('answers 409 with the reason and valid targets for an invalid transition', async () => {
    const ticket = await createTicket();
    const response = await transition(ticket.id, Phase.DEPLOYMENT);
    expectError(response, 409, 'INVALID_TRANSITION');
    expect(response.body.error.details).toEqual({
      fromPhase: Phase.BACKLOG,
      toPhase: Phase.DEPLOYMENT,
      validTransitions: [Phase.REQUIREMENTS],
      blockingReasons: [],
    });
    expect(response.body.error.message).toContain('cannot move');
  });

  it('applies a repeated requestId once', async () => {
    const ticket = await createTicket();
    const first = await transition(ticket.id, Phase.REQUIREMENTS, { requestId: 'req-1' });
    const second = await transition(ticket.id, Phase.REQUIREMENTS, { requestId: 'req-1' });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.transitionCount).toBe(1);
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('answers 504 TRANSITION_PENDING with the request ID when the update call times out; repeating it returns the real outcome', async () => {
    // An app whose update calls get a 1 s deadline, on a task queue no worker polls yet.
    const taskQueue = `unpolled-${randomUUID()}`;
    const impatient = new Client({
      connection: stack.env.connection,
      namespace: stack.env.namespace,
      interceptors: { workflow: [{ startUpdate: (input, next) => stack.env.connection.withDeadline(Date.now() + 1000, () => next(input)) }] },
    });
    const settings = testSettings(stack.orchestrator, STATE_MACHINE_ONLY);
    const slowApp = createApp({
      prisma: stack.db.prisma,
      temporal: impatient,
      taskQueue,
      logger: createLogger('silent'),
      orchestrator: stack.orchestrator,
      settings,
    });
    const created = await request(slowApp).post('/api/v1/tickets').send({ title: 'Pending', policy: 'manual' });
    expect(created.status).toBe(201);
    const ticketId = created.body.id as string;

    const pending = await request(slowApp).post(`/api/v1/tickets/${ticketId}/transition`).send({ toPhase: Phase.REQUIREMENTS, requestId: 'slow-1' });
    expectError(pending, 504, 'TRANSITION_PENDING');
    expect(pending.headers['retry-after']).toBeDefined();
    expect(pending.body.error.details).toEqual({ ticketId, requestId: 'slow-1' });

    const workers = await createTicketWorkers({
      connection: stack.env.nativeConnection,
      namespace: stack.env.namespace ?? 'default',
      taskQueue,
      activities: testActivities(stack.db.prisma, stack.orchestrator),
      maxConcurrentAgentTasks: 1,
      workflows: { workflowBundle: { codePath: testEnv.workflowBundle() } },
    });
    const running = workers.run();
    try {
      const repeated = await request(slowApp).post(`/api/v1/tickets/${ticketId}/transition`).send({ toPhase: Phase.REQUIREMENTS, requestId: 'slow-1' });
      expect(repeated.status).toBe(200);
      expect(repeated.body).toMatchObject({ ticketId, phase: Phase.REQUIREMENTS, transitionCount: 1 });
      expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId } })).toBe(1);
    } finally {
      workers.shutdown();
      await running;
    }
  });

  it('gives every one of many concurrent callers a definite answer: one 200, the rest 409', async () => {
    const ticket = await createTicket();
    const responses = await Promise.all(Array.from({ length: 25 }, () => transition(ticket.id, Phase.REQUIREMENTS)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('404s an unknown or malformed ticket ID', async () => {
    expectError(await transition(randomUUID(), Phase.REQUIREMENTS), 404, 'TICKET_NOT_FOUND');
    expectError(await transition('not-a-uuid', Phase.REQUIREMENTS), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/state`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/phase-history`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/valid-transitions`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().post(`/api/v1/tickets/${randomUUID()}/signals/transition`).send({ toPhase: Phase.DESIGN }), 404, 'TICKET_NOT_FOUND');
  });

  it.each([
    ['unknown phase', { toPhase: 'PHASE_SOMEWHERE' }],
    ['missing toPhase', {}],
    ['wrong type', { toPhase: Phase.DESIGN, reason: 5 }],
    ['unknown field', { toPhase: Phase.DESIGN, force: true }],
  ])('rejects a transition body with %s as 400', async (_name, body) => {
    const ticket = await createTicket();
    const response = await api().post(`/api/v1/tickets/${ticket.id}/transition`).send(body);
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('accepts a signal with 202 and applies it asynchronously; an invalid one is recorded as a rejection', async () => {
    const ticket = await createTicket();
    const bad = await api().post(`/api/v1/tickets/${ticket.id}/signals/transition`).send({ toPhase: Phase.TESTING });
    expect(bad.status).toBe(202);
    const good = await api().post(`/api/v1/tickets/${ticket.id}/signals/transition`).send({ toPhase: Phase.REQUIREMENTS, requestId: 'sig-1' });
    expect(good.status).toBe(202);
    expect(good.body).toEqual({ requestId: 'sig-1' });
    const state = await api().get(`/api/v1/tickets/${ticket.id}/state`);
    expect(state.body).toMatchObject({ phase: Phase.REQUIREMENTS, rejectedCount: 1, lastRejection: { toPhase: Phase.TESTING, via: 'signal' } });
    const valid = await api().get(`/api/v1/tickets/${ticket.id}/valid-transitions`);
    expect(valid.body).toEqual({ validTransitions: [Phase.DESIGN, Phase.BLOCKED] });
  });
});

describe('GET /api/v1/tickets', () => {
  it('filters by phase, status and priority and paginates', async () => {
    const tag = randomUUID();
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createTicket({ title: `list-${tag}-${i}`, priority: 'LOW' }));
    await transition(created[0]!.id, Phase.REQUIREMENTS);

    const inRequirements = await api().get('/api/v1/tickets').query({ phase: Phase.REQUIREMENTS, priority: 'LOW' });
    expect(inRequirements.status).toBe(200);
    expect(inRequirements.body.items.map((t: { id: string }) => t.id)).toContain(created[0]!.id);
    expect(inRequirements.body.items.every((t: { phaseId: string; status: string }) => t.phaseId === Phase.REQUIREMENTS && t.status === 'in_progress')).toBe(
      true,
    );

    const page1 = await api().get('/api/v1/tickets').query({ priority: 'LOW', status: 'open', limit: 1, offset: 0 });
    const page2 = await api().get('/api/v1/tickets').query({ priority: 'LOW', status: 'open', limit: 1, offset: 1 });
    expect(page1.body).toMatchObject({ limit: 1, offset: 0 });
    expect(page1.body.total).toBeGreaterThanOrEqual(2);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.items[0].id).not.toBe(page2.body.items[0].id);
  });

  it.each([
    ['unknown phase', { phase: 'PHASE_X' }],
    ['limit too large', { limit: 1000 }],
    ['negative offset', { offset: -1 }],
    ['unknown filter', { colour: 'red' }],
  ])('rejects %s with 400', async (_name, query) => {
    expectError(await api().get('/api/v1/tickets').query(query), 400, 'VALIDATION_FAILED');
  });
});

describe('health and unknown routes', () => {
  it('reports liveness and readiness of Temporal and PostgreSQL', async () => {
    expect((await api().get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: { ok: true }, temporal: { ok: true } } });
  });

  it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    expectError(await api().get('/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });
});
