/**
 * Issue 11, "Stalled tickets", on the real stack (Temporal dev server, worker, PostgreSQL) with
 * short SLAs (ms) and a local webhook receiver (node:http on 127.0.0.1) that checks each request's
 * `X-Orchestrator-Signature` against the body: an overstayed phase is escalated once, recorded,
 * delivered after the receiver's 500 (retried), and listed by `GET /escalations` and
 * `GET /tickets/:id/escalations`; a transition restarts the SLA; the `block` action blocks the
 * ticket (cause `escalation`); a missing secret or an unreachable webhook is recorded as a failed
 * attempt while the escalation stays. The 24-hour timers are in test/workflows/sla-timers.test.ts.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Express } from 'express';
import request from 'supertest';
import { ESCALATION_NOT_FOUND, createDeliverEscalation } from '../../activities/ticket/escalations';
import { Phase } from '../../src/ticket/phases';
import { recordEscalation } from '../../src/ticket/escalation-store';
import { RowNotFoundError } from '../../src/phase-work/errors';
import { SIGNATURE_HEADER, type EscalationPayload, type EscalationSettings, type PhaseSla } from '../../src/ticket/sla';
import type { EscalationView } from '../../src/ticket/escalation-store';
import { STATE_MACHINE_ONLY, stackApp, useTicketStack, waitForState } from '../helpers/temporal';
import { eventually, poll } from '../helpers/poll';

const stack = useTicketStack();

/** The receiver's secret, in the worker's environment under {@link SECRET_ENV}. */
const SECRET = `secret-${randomUUID()}`;
const SECRET_ENV = 'ESCALATION_TEST_WEBHOOK_SECRET';

/** One request the receiver got. */
interface Received {
  payload: EscalationPayload;
  /** Whether the signature header is the HMAC-SHA256 of the raw body with {@link SECRET}. */
  verified: boolean;
  /** The status it answered. */
  answered: number;
}

const received: Received[] = [];
/** Statuses the receiver answers with next, in order; 200 once empty. */
const answers: number[] = [];
let receiver: Server;
let webhookUrl: string;

function verify(body: string, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
  const actual = Buffer.from(header ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = answers.shift() ?? 200;
      received.push({
        payload: JSON.parse(body) as EscalationPayload,
        verified: verify(body, req.headers[SIGNATURE_HEADER.toLowerCase()] as string),
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/escalations`;
});

afterAll(async () => {
  delete process.env[SECRET_ENV];
  await new Promise((resolve) => receiver?.close(resolve));
});

/** The app, its new tickets' workflows watching `slas` and sending to `webhooks` (default: the receiver). */
function appWith(slas: EscalationSettings['slas'], webhooks = [{ url: webhookUrl, secretEnv: SECRET_ENV }]): Express {
  return stackApp(stack, { ...STATE_MACHINE_ONLY, escalation: { slas, webhooks } });
}

/** Creates a manual ticket through `app`. */
async function createTicket(app: Express) {
  const response = await request(app)
    .post('/api/v1/tickets')
    .send({ title: 'Stalled ticket', externalId: `STALL-${randomUUID()}`, policy: 'manual' });
  expect(response.status).toBe(201);
  return response.body as { id: string; workflowId: string; externalId: string; title: string };
}

/** Moves the ticket (update) and returns the new state. */
async function transition(app: Express, id: string, toPhase: Phase) {
  const response = await request(app).post(`/api/v1/tickets/${id}/transition`).send({ toPhase });
  expect(response.status).toBe(200);
  return response.body as { transitionCount: number; lastTransition: { occurredAt: string } };
}

/** The ticket's escalations through `GET /tickets/:id/escalations`. */
async function escalationsOf(app: Express, id: string): Promise<EscalationView[]> {
  const response = await request(app).get(`/api/v1/tickets/${id}/escalations`);
  expect(response.status).toBe(200);
  return (response.body as { items: EscalationView[] }).items;
}

const handleOf = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId);

it('an overstayed phase is escalated once: recorded, delivered signed after a 500 (retried), listed by both endpoints', async () => {
  const sla: PhaseSla = { ms: 1500, action: 'escalate' };
  const app = appWith({ [Phase.REQUIREMENTS]: sla });
  const ticket = await createTicket(app);
  answers.push(500);
  const entered = await transition(app, ticket.id, Phase.REQUIREMENTS);
  const mine = () => received.filter(({ payload }) => payload.ticket.id === ticket.id);
  await poll(mine, (got) => got.length === 2, 'the webhook to be called twice (500, then 200)');

  const [first, second] = mine();
  expect([first!.answered, second!.answered]).toEqual([500, 200]);
  expect(mine().every(({ verified }) => verified)).toBe(true);
  expect(second!.payload).toEqual(first!.payload);
  expect(first!.payload).toEqual({
    escalationId: expect.any(String),
    kind: 'sla',
    ticket: { id: ticket.id, key: ticket.externalId, title: ticket.title },
    phase: Phase.REQUIREMENTS,
    overdueMs: expect.any(Number),
    slaMs: 1500,
    enteredAt: entered.lastTransition.occurredAt,
    links: {
      webUi: `http://127.0.0.1:8233/namespaces/${stack.env.namespace ?? 'default'}/workflows/${ticket.workflowId}`,
      api: `http://127.0.0.1:1/api/v1/tickets/${ticket.id}`,
    },
  });
  expect(first!.payload.overdueMs).toBeGreaterThanOrEqual(0);
  expect(first!.payload.overdueMs).toBeLessThan(5000);

  // The row: both attempts, delivered; the ticket keeps its phase (action `escalate`).
  const [escalation] = await eventually(async () => {
    const items = await escalationsOf(app, ticket.id);
    return items[0]?.deliveredAt ? items : undefined;
  }, 'the delivery to be recorded');
  expect(escalation).toMatchObject({
    id: first!.payload.escalationId,
    ticketId: ticket.id,
    phase: Phase.REQUIREMENTS,
    phaseEntry: entered.transitionCount,
    kind: 'sla',
    slaMs: 1500,
    enteredAt: entered.lastTransition.occurredAt,
    deliveries: [
      { url: webhookUrl, attempt: 1, status: 500, error: expect.stringContaining('500'), at: expect.any(String) },
      { url: webhookUrl, attempt: 2, status: 200, at: expect.any(String) },
    ],
  });
  expect(Date.parse(escalation!.createdAt) - Date.parse(escalation!.enteredAt)).toBeGreaterThanOrEqual(1500);
  const state = await request(app).get(`/api/v1/tickets/${ticket.id}/state`);
  expect(state.body).toMatchObject({ phase: Phase.REQUIREMENTS, sla: { phase: Phase.REQUIREMENTS, slaMs: 1500, action: 'escalate', overdue: true } });

  // GET /escalations: by ticket, and by time.
  const byTicket = await request(app).get('/api/v1/escalations').query({ ticket: ticket.id });
  expect(byTicket.status).toBe(200);
  expect(byTicket.body.items).toEqual([escalation]);
  const all = await request(app).get('/api/v1/escalations');
  expect(all.body.items).toContainEqual(escalation);
  const since = await request(app)
    .get('/api/v1/escalations')
    .query({ since: new Date(Date.now() + 60_000).toISOString() });
  expect(since.status).toBe(200);
  expect(since.body.items).toEqual([]);
  const perTicketSince = await request(app)
    .get(`/api/v1/tickets/${ticket.id}/escalations`)
    .query({ since: new Date(Date.parse(escalation!.createdAt) - 1).toISOString() });
  expect(perTicketSince.body.items).toEqual([escalation]);

  // Once per phase entry: no second escalation however long the ticket stays.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(await escalationsOf(app, ticket.id)).toHaveLength(1);
  expect(mine()).toHaveLength(2);
}, 60_000);

it('a transition before the SLA restarts it: measured from the return to the phase', async () => {
  const app = appWith({ [Phase.REQUIREMENTS]: { ms: 2500, action: 'escalate' } });
  const ticket = await createTicket(app);
  await transition(app, ticket.id, Phase.REQUIREMENTS);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await transition(app, ticket.id, Phase.BLOCKED);
  const back = await transition(app, ticket.id, Phase.REQUIREMENTS);
  const [escalation] = await eventually(async () => {
    const items = await escalationsOf(app, ticket.id);
    return items.length > 0 ? items : undefined;
  }, 'the escalation');
  expect(escalation).toMatchObject({ phaseEntry: back.transitionCount, enteredAt: back.lastTransition.occurredAt });
  expect(Date.parse(escalation!.createdAt) - Date.parse(back.lastTransition.occurredAt)).toBeGreaterThanOrEqual(2500);
  expect(await escalationsOf(app, ticket.id)).toHaveLength(1);
}, 60_000);

it('the block action blocks the ticket with cause `escalation`, and the escalation is still delivered', async () => {
  const app = appWith({ [Phase.DESIGN]: { ms: 1000, action: 'block' } });
  const ticket = await createTicket(app);
  await transition(app, ticket.id, Phase.REQUIREMENTS);
  const entered = await transition(app, ticket.id, Phase.DESIGN);
  const state = await waitForState(handleOf(ticket.workflowId), ({ phase }) => phase === Phase.BLOCKED);
  expect(state.blocked).toMatchObject({
    fromPhase: Phase.DESIGN,
    cause: 'escalation',
    reason: expect.stringContaining('SLA of PHASE_DESIGN (1000 ms) overstayed'),
  });
  const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  expect(row).toMatchObject({ phaseId: Phase.BLOCKED, status: 'blocked', blockedReason: expect.stringContaining('SLA of PHASE_DESIGN') });
  const [escalation] = await eventually(async () => {
    const items = await escalationsOf(app, ticket.id);
    return items[0]?.deliveredAt ? items : undefined;
  }, 'the escalation to be delivered');
  expect(escalation).toMatchObject({ phase: Phase.DESIGN, phaseEntry: entered.transitionCount });
  expect(received.some(({ payload, verified }) => payload.ticket.id === ticket.id && payload.phase === Phase.DESIGN && verified)).toBe(true);
  // A person resumes the phase: a new entry, with its own SLA.
  const resumed = await transition(app, ticket.id, Phase.DESIGN);
  const reblocked = await waitForState(
    handleOf(ticket.workflowId),
    ({ phase, transitionCount }) => phase === Phase.BLOCKED && transitionCount > resumed.transitionCount,
  );
  expect(reblocked.blocked?.cause).toBe('escalation');
  await eventually(async () => (await escalationsOf(app, ticket.id)).length === 2, 'the second entry to escalate too');
}, 60_000);

it('a missing secret or an unreachable webhook is a recorded failed attempt; the escalation stays and the ticket lives on', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const unreachable = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
  await new Promise((resolve) => closed.close(resolve));
  const app = appWith({ [Phase.REQUIREMENTS]: { ms: 500, action: 'escalate' } }, [
    { url: webhookUrl, secretEnv: 'ESCALATION_TEST_UNSET_SECRET' },
    { url: unreachable, secretEnv: SECRET_ENV },
  ]);
  const ticket = await createTicket(app);
  await transition(app, ticket.id, Phase.REQUIREMENTS);
  const [escalation] = await eventually(async () => {
    const items = await escalationsOf(app, ticket.id);
    return (items[0]?.deliveries.length ?? 0) >= 2 ? items : undefined;
  }, 'both failed attempts to be recorded');
  expect(escalation!.deliveredAt).toBeNull();
  expect(escalation!.deliveries).toEqual(
    expect.arrayContaining([
      { url: webhookUrl, attempt: 1, status: null, error: "the webhook's secret variable ESCALATION_TEST_UNSET_SECRET is not set", at: expect.any(String) },
      { url: unreachable, attempt: 1, status: null, error: expect.stringContaining(`POST ${unreachable} failed`), at: expect.any(String) },
    ]),
  );
  // The missing secret is not retried; the unreachable webhook is.
  await eventually(async () => {
    const [row] = await escalationsOf(app, ticket.id);
    return row!.deliveries.some(({ url, attempt }) => url === unreachable && attempt === 2);
  }, 'the unreachable webhook to be retried');
  expect((await escalationsOf(app, ticket.id))[0]!.deliveries.filter(({ url }) => url === webhookUrl)).toHaveLength(1);
  expect(received.some(({ payload }) => payload.ticket.id === ticket.id)).toBe(false);
  const response = await request(app).post(`/api/v1/tickets/${ticket.id}/transition`).send({ toPhase: Phase.DESIGN });
  expect(response.status).toBe(200);
  await request(app).post(`/api/v1/tickets/${ticket.id}/cancel`).send({ reason: 'test over' });
}, 60_000);

it('recordEscalation is idempotent per (ticket, phase entry, kind), and refuses an unknown ticket', async () => {
  const app = appWith({});
  const ticket = await createTicket(app);
  const input = {
    ticketId: ticket.id,
    phase: Phase.TESTING,
    phaseEntry: 7,
    kind: 'sla' as const,
    slaMs: 1000,
    overdueMs: 5,
    enteredAt: new Date().toISOString(),
  };
  const first = await recordEscalation(stack.db.prisma, input);
  const again = await recordEscalation(stack.db.prisma, { ...input, overdueMs: 999 });
  expect(again).toEqual(first);
  expect(first.deliveredTo).toEqual([]);
  const [row] = await escalationsOf(app, ticket.id);
  expect(row).toMatchObject({ id: first.id, overdueMs: 5 });
  await expect(recordEscalation(stack.db.prisma, { ...input, ticketId: randomUUID() })).rejects.toBeInstanceOf(RowNotFoundError);
});

it('deliverEscalation of an unknown escalation fails for good (EscalationNotFound), sending nothing', async () => {
  const deliver = createDeliverEscalation({ prisma: stack.db.prisma, config: stack.orchestrator, publicApiUrl: 'http://127.0.0.1:1/api/v1' });
  const before = received.length;
  const failure: unknown = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
    .run(deliver, { escalationId: randomUUID(), webhook: { url: webhookUrl, secretEnv: SECRET_ENV } })
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: ESCALATION_NOT_FOUND, nonRetryable: true });
  expect(received).toHaveLength(before);
});
