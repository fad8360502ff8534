/** The agent registry endpoints on a real PostgreSQL (supertest): register, search, enable, heartbeat. */
import type { Express } from 'express';
import request from 'supertest';
import { stackApp, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let app: Express;
const api = () => request(app);

beforeAll(() => {
  app = stackApp(stack);
});

const register = (body: Record<string, unknown>) => api().post('/api/v1/agents').send(body);

describe('agent registry API', () => {
  it('registers an agent (201), re-registers it by name (200), and names its task queue', async () => {
    const first = await register({ name: 'tester-1', capabilities: ['testing'], capacity: 2, tags: ['linux'] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      name: 'tester-1',
      capabilities: ['testing'],
      capacity: 2,
      tags: ['linux'],
      healthStatus: 'healthy',
      enabled: true,
      taskQueue: `${stack.worker.taskQueue}-agent-tester-1`,
    });
    const again = await register({ name: 'tester-1', capabilities: ['testing', 'analysis'] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, capabilities: ['testing', 'analysis'] });
  });

  it('searches by capability, best fit first, and leaves out disabled agents until enabled', async () => {
    const specialist = (await register({ name: 'reviewer-only', capabilities: ['review'], capacity: 1 })).body;
    await register({ name: 'reviewer-and-more', capabilities: ['review', 'design', 'testing'], capacity: 5 });
    const search = () => api().get('/api/v1/agents/search').query({ capabilities: 'review' });
    expect((await search()).body.items.map((a: { name: string }) => a.name)).toEqual(['reviewer-only', 'reviewer-and-more']);
    expect((await search()).body.items[0]).toMatchObject({ running: 0 });

    await api().post(`/api/v1/agents/${specialist.id}/disable`).expect(200);
    expect((await search()).body.items.map((a: { name: string }) => a.name)).toEqual(['reviewer-and-more']);
    await api().post(`/api/v1/agents/${specialist.id}/enable`).expect(200);
    expect((await search()).body.items).toHaveLength(2);

    const both = await api().get('/api/v1/agents/search').query({ capabilities: 'review,design' });
    expect(both.body.items.map((a: { name: string }) => a.name)).toEqual(['reviewer-and-more']);
  });

  it('records heartbeats and updates', async () => {
    const agent = (await register({ name: 'beating', capabilities: ['x'] })).body;
    await stack.db.prisma.agent.update({ where: { id: agent.id }, data: { lastHeartbeat: new Date(0), healthStatus: 'unhealthy' } });
    const beat = await api().post(`/api/v1/agents/${agent.id}/heartbeat`).expect(200);
    expect(beat.body.healthStatus).toBe('healthy');
    expect(new Date(beat.body.lastHeartbeat).getTime()).toBeGreaterThan(Date.now() - 10_000);
    const patched = await api()
      .patch(`/api/v1/agents/${agent.id}`)
      .send({ capacity: 4, tags: ['gpu'] })
      .expect(200);
    expect(patched.body).toMatchObject({ capacity: 4, tags: ['gpu'] });
    expect((await api().get(`/api/v1/agents/${agent.id}`).expect(200)).body.name).toBe('beating');
    expect((await api().get('/api/v1/agents').expect(200)).body.items.some((a: { name: string }) => a.name === 'beating')).toBe(true);
  });

  it.each([
    ['no capabilities', { name: 'a', capabilities: [] }],
    ['a bad name', { name: '../etc', capabilities: ['x'] }],
    ['zero capacity', { name: 'a', capabilities: ['x'], capacity: 0 }],
    ['an unknown field', { name: 'a', capabilities: ['x'], owner: 'me' }],
  ])('refuses a registration with %s (400), writing nothing', async (_name, body) => {
    const before = await stack.db.prisma.agent.count();
    const response = await register(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(await stack.db.prisma.agent.count()).toBe(before);
  });

  it('answers 404 for unknown agents and 400 for an empty search or update', async () => {
    for (const call of [
      api().get('/api/v1/agents/nope'),
      api().post('/api/v1/agents/00000000-0000-4000-8000-000000000000/heartbeat'),
      api().patch('/api/v1/agents/nope').send({ capacity: 2 }),
    ]) {
      const response = await call;
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('AGENT_NOT_FOUND');
    }
    expect((await api().get('/api/v1/agents/search')).status).toBe(400);
    expect((await api().get('/api/v1/agents/search').query({ capabilities: ' , ' })).status).toBe(400);
    const agent = (await register({ name: 'patchy', capabilities: ['x'] })).body;
    expect((await api().patch(`/api/v1/agents/${agent.id}`).send({})).status).toBe(400);
  });
});
