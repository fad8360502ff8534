/**
 * `Idempotency-Key` on POST endpoints, on a real dev server, worker and PostgreSQL: a repeat gets
 * the first response and does nothing again; the same key with another request is 422.
 */
import type { Express } from 'express';
import request from 'supertest';
import { Phase } from '../../src/ticket/phases';
import { STATE_MACHINE_ONLY, stackApp, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let app: Express;

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  app = stackApp(stack, STATE_MACHINE_ONLY);
});

const post = (path: string, body: unknown, key?: string) => {
  const call = request(app).post(`/api/v1${path}`);
  return (key ? call.set('Idempotency-Key', key) : call).send(body as object);
};
const ticketCount = () => stack.db.prisma.ticket.count();

describe('Idempotency-Key', () => {
  it('replays the first response to a repeated POST and creates nothing twice', async () => {
    const before = await ticketCount();
    const first = await post('/tickets', { title: 'Once', policy: 'manual' }, 'create-once');
    const again = await post('/tickets', { title: 'Once', policy: 'manual' }, 'create-once');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await ticketCount()).toBe(before + 1);
  });

  it('refuses the same key with a different body or endpoint (422) and writes nothing', async () => {
    await post('/tickets', { title: 'Original', policy: 'manual' }, 'reused-key');
    const before = await ticketCount();
    const otherBody = await post('/tickets', { title: 'Different', policy: 'manual' }, 'reused-key');
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toEqual({
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('reused-key'), details: { key: 'reused-key' } },
    });
    const otherPath = await post('/task-templates', { phaseId: Phase.DESIGN, taskType: 'x', templateDescription: 'y' }, 'reused-key');
    expect(otherPath.status).toBe(422);
    expect(await ticketCount()).toBe(before);
    expect(await stack.db.prisma.taskTemplate.count({ where: { taskType: 'x' } })).toBe(0);
  });

  it('replays transitions, including a refusal, and applies an accepted one once', async () => {
    const { body: ticket } = await post('/tickets', { title: 'Moves', policy: 'manual' });
    const first = await post(`/tickets/${ticket.id}/transition`, { toPhase: Phase.REQUIREMENTS }, 'move-1');
    const again = await post(`/tickets/${ticket.id}/transition`, { toPhase: Phase.REQUIREMENTS }, 'move-1');
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.transitionCount).toBe(1);
    const refused = await post(`/tickets/${ticket.id}/transition`, { toPhase: Phase.DONE }, 'move-2');
    const refusedAgain = await post(`/tickets/${ticket.id}/transition`, { toPhase: Phase.DONE }, 'move-2');
    expect(refused.status).toBe(409);
    expect(refusedAgain.status).toBe(409);
    expect(refusedAgain.body).toEqual(refused.body);
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('gives concurrent repeats one outcome: the first response or 409 IDEMPOTENCY_KEY_IN_USE, and one row', async () => {
    const before = await ticketCount();
    const responses = await Promise.all(Array.from({ length: 8 }, () => post('/tickets', { title: 'Racing', policy: 'manual' }, 'racing-key')));
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const response of responses.filter((r) => r.status !== 201)) expect(response.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await ticketCount()).toBe(before + 1);
  });

  it('rejects a malformed key with 400', async () => {
    const response = await post('/tickets', { title: 'Bad key' }, 'x'.repeat(256));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });
});
