/**
 * Fault "PostgreSQL unreachable for 30 s in the middle of a run", on a real Temporal dev server,
 * worker, API and PostgreSQL with the reference agent (the repository's configuration). The
 * worker's and the API's Prisma clients reach the database through a TCP proxy
 * (test/helpers/tcp-proxy.ts); the outage destroys every open connection and refuses new ones
 * (ECONNREFUSED) for 30 s, then lets them through again. The test's own Prisma client goes to the
 * database directly, to watch.
 *
 * The database is cut while an agent task of the ticket runs. While it is down the API must answer
 * 503 SERVICE_UNAVAILABLE (GET /tickets/:id, /phase-history, /readyz). Once it is back the ticket
 * must reach PHASE_DONE with nothing lost or duplicated: phase_history dense 1..6 along the phase
 * sequence, one task row per (phase, task type), each completed, artifacts and gate results unique.
 */
import { rmSync } from 'node:fs';
import type { PrismaClient } from '@prisma/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import type { ActivityDependencies } from '../../activities';
import { loadOrchestratorConfig } from '../../src/agents/config';
import { createApp } from '../../src/api/app';
import { createPrismaClient } from '../../src/platform/prisma';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import { createLogger } from '../../src/platform/logger';
import type { NewTicket } from '../../src/ticket/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { delay, poll } from '../helpers/poll';
import { TcpProxy } from '../helpers/tcp-proxy';
import { prepareTestRepositories } from '../helpers/repositories';
import { createTemporalEnvironment, startWorker, testActivities, testSettings, type RunningWorker } from '../helpers/temporal';
import { ALL_PHASE_TASKS, RICH_TICKET } from '../helpers/tickets';
import { activityRetries } from '../helpers/history';
import { expectUniqueRunRows } from '../helpers/rows';

const OUTAGE_MS = 30_000;
jest.setTimeout(150_000);

const orchestrator = loadOrchestratorConfig();
/** A ticket whose requirements the reference agent documents well enough for every gate. */
const RICH: NewTicket = { ...RICH_TICKET, policy: 'auto' };
const EXPECTED_TASKS = ALL_PHASE_TASKS;

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let proxy: TcpProxy;
/** The worker's and the API's client, through the proxy. */
let proxied: PrismaClient;
let activities: ActivityDependencies;
let worker: RunningWorker;
let app: Express;

beforeAll(async () => {
  [env, db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
  proxy = await TcpProxy.forUrl(db.url);
  proxied = createPrismaClient(proxy.url(db.url));
  activities = testActivities(proxied, orchestrator);
  await prepareTestRepositories(db.prisma, orchestrator);
  worker = await startWorker(env, activities);
  app = createApp({
    prisma: proxied,
    temporal: env.client,
    taskQueue: worker.taskQueue,
    logger: createLogger('silent'),
    orchestrator,
    settings: testSettings(orchestrator),
  });
});

afterAll(async () => {
  await proxy?.restore();
  await worker?.stop();
  await env?.teardown();
  await proxied?.$disconnect();
  await proxy?.stop();
  await db?.drop();
  if (activities) rmSync(activities.workspacesDir, { recursive: true, force: true });
});

const ERROR_BODY = (code: string) => ({ error: { code, message: expect.any(String), details: expect.any(Object) } });

/** Class, code and first line of an error, for the report. */
function describeError(error: unknown): string {
  if (!error) return 'no error';
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  return `${error.constructor?.name ?? name}${code ? ` ${code}` : ''}: ${(message ?? '').trim().split('\n').at(-1)}`;
}

/** Retries Temporal made, per activity type: the attempt number of each started activity, minus one. */
async function retriesOf(workflowId: string): Promise<Record<string, number>> {
  const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return activityRetries(events ?? []);
}

describe('PostgreSQL unreachable for 30 s in the middle of a run', () => {
  it('answers 503 while it is down, then the ticket reaches PHASE_DONE with nothing lost or duplicated', async () => {
    const t0 = Date.now();
    const created = await request(app)
      .post('/api/v1/tickets')
      .send({ ...RICH, externalId: 'OUTAGE-1' });
    expect(created.status).toBe(201);
    const ticket = created.body as { id: string; workflowId: string };

    // Cut while an agent task runs (the reference agent's tasks take a moment; poll fast).
    const running = await poll(
      () => db.prisma.task.findFirst({ where: { ticketId: ticket.id, status: 'running', phaseId: { not: Phase.REQUIREMENTS } } }),
      (task) => task !== null,
      'an agent task after REQUIREMENTS to be running',
      90_000,
      20,
    );
    // A query in flight when the connections drop (seen in pg_stat_activity first), and one issued right
    // after (on a pooled connection not yet known to be dead), to report what Prisma throws then: a
    // plain pg `Error: Connection terminated unexpectedly`, which src/api/errors.ts does not map to 503.
    const inFlight = proxied.$queryRaw`SELECT pg_sleep(20)`.then(
      () => undefined,
      (error: unknown) => error,
    );
    await poll(
      () => db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%' AND state = 'active'`,
      ([row]) => row!.n === 1,
      'the pg_sleep query to run',
      10_000,
      20,
    );
    await proxy.cut();
    const cutAt = Date.now();
    const errors: Record<string, string> = {
      inFlight: describeError(await inFlight),
      newQuery: describeError(await proxied.ticket.count().catch((error: unknown) => error)),
    };
    const phaseAtCut = (await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).phaseId;

    // While it is down: the API says so, every time.
    const answers: { path: string; status: number; code?: string }[] = [];
    const probe = async (path: string) => {
      const response = await request(app).get(path).timeout({ response: 10_000 });
      answers.push({ path, status: response.status, code: response.body?.error?.code });
      return response;
    };
    const first = await probe(`/api/v1/tickets/${ticket.id}`);
    expect(first.status).toBe(503);
    expect(first.body).toEqual(ERROR_BODY('SERVICE_UNAVAILABLE'));
    Object.assign(errors, { laterQuery: describeError(await proxied.ticket.count().catch((error: unknown) => error)) });
    const ready = await probe('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.details.checks).toMatchObject({ database: { ok: false }, temporal: { ok: true } });
    while (Date.now() - cutAt < OUTAGE_MS - 2_000) {
      await probe(`/api/v1/tickets/${ticket.id}`);
      await probe(`/api/v1/tickets/${ticket.id}/phase-history`);
      await delay(2_000);
    }
    await delay(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
    expect(answers.filter((a) => a.path !== '/readyz' && (a.status !== 503 || a.code !== 'SERVICE_UNAVAILABLE'))).toEqual([]);
    await proxy.restore();
    const restoredAt = Date.now();

    // Back: the API answers again, and the ticket finishes.
    await poll(
      () => request(app).get(`/api/v1/tickets/${ticket.id}`),
      (response) => response.status === 200,
      'the API to answer 200 again',
      10_000,
    );
    const done = await poll(
      () => db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } }),
      (row) => row.phaseId === Phase.DONE || row.phaseId === Phase.BLOCKED,
      'the ticket to reach PHASE_DONE',
      100_000,
      200,
    );
    const doneAt = Date.now();
    const result = await env.client.workflow
      .getHandle(ticket.workflowId)
      .result()
      .catch((error: unknown) => error);
    const tasks = await db.prisma.task.findMany({ where: { ticketId: ticket.id } });
    const retries = await retriesOf(ticket.workflowId);
    const executions = tasks.filter((task) => task.attempts > 1).map((task) => `${task.taskType} ×${task.attempts}`);
    console.info(
      `database outage: cut ${((cutAt - t0) / 1000).toFixed(1)} s after start while ${running!.taskType} ran (ticket in ${phaseAtCut}); ` +
        `down ${((restoredAt - cutAt) / 1000).toFixed(1)} s; ${done.phaseId} ${((doneAt - restoredAt) / 1000).toFixed(1)} s after the restore, ` +
        `${((doneAt - t0) / 1000).toFixed(1)} s in all; API answers while down: ${answers.length} (${[...new Set(answers.map((a) => `${a.path.replace(ticket.id, ':id')} ${a.status} ${a.code}`))].join(', ')}); ` +
        `activity retries: ${JSON.stringify(retries)}; tasks executed more than once: ${executions.join(', ') || 'none'}; ` +
        `Prisma errors: ${JSON.stringify(errors)}; proxy: ${JSON.stringify(proxy.stats)}`,
    );
    expect({ phase: done.phaseId, blockedReason: done.blockedReason }).toEqual({ phase: Phase.DONE, blockedReason: null });
    expect(result).toMatchObject({ phase: Phase.DONE, status: 'done', transitionCount: 6 });

    // Nothing lost: every transition, every task, completed.
    const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: ticket.id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => [row.sequence, row.fromPhase, row.toPhase])).toEqual(
      PHASE_SEQUENCE.slice(1).map((phase, index) => [index + 1, PHASE_SEQUENCE[index], phase]),
    );
    expect(done).toMatchObject({ status: 'done', version: 6 });
    // Nothing duplicated: one row per (phase, task type), so one per key of the run too.
    expect(tasks.map((task) => `${task.phaseId}/${task.taskType}`).sort()).toEqual(EXPECTED_TASKS);
    expect(tasks.filter((task) => task.status !== 'completed').map((task) => [task.taskType, task.status, task.error])).toEqual([]);
    const { gates } = await expectUniqueRunRows(db.prisma, ticket.id);
    // Every phase with tasks had its gate validated and passed (once per round key).
    expect([...new Set(gates.filter((g) => g.gateStatus === 'passed').map((g) => g.phaseId))].sort()).toEqual(PHASE_SEQUENCE.slice(1, -1).slice().sort());
  });
});
