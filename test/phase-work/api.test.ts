/**
 * The REST API's phase-work endpoints (tasks, http agent callbacks, task templates, gates,
 * artifacts, context), mounted on a real listening server so the executeTask activity's callback
 * URLs reach it, on a real Temporal dev server, worker and PostgreSQL. The analysis task goes to an
 * `http` agent backend played by a small HTTP service in this file (it records every task it is
 * handed and answers 202; the test then calls back as the agent would); everything else goes to the
 * reference agent.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import type { ActivityDependencies } from '../../activities';
import type { HttpAgentRequest } from '../../src/agents/http-backend';
import { parseOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';
import { createApp } from '../../src/api/app';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import type { TicketSettings } from '../../src/ticket/settings';
import { createLogger } from '../../src/platform/logger';
import type { TicketWorkflowState } from '../../workflows/ticket/messages';
import { withConfiguredRepositories } from '../helpers/agents';
import { prepareTestRepositories } from '../helpers/repositories';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createTemporalEnvironment, startWorker, testActivities, testSettings, type RunningWorker } from '../helpers/temporal';
import { REVIEWED_TERSE_REQUIREMENTS, RICH_TICKET } from '../helpers/tickets';
import { poll } from '../helpers/poll';

const REFERENCE_CAPABILITIES = ['analysis', 'documentation', 'design', 'implementation', 'testing', 'deployment', 'validation'];
const ANALYZE = 'analyze_requirements';
const DOCUMENT = 'create_requirements_doc';

/** A task the fake http agent service was handed: the parsed body and the raw text. */
interface Handover {
  body: HttpAgentRequest;
  raw: string;
}

const handovers: Handover[] = [];
let apiServer: http.Server;
let orchestrator: OrchestratorConfig;
/** The app the listening server delegates to (created once the worker's task queue is known). */
let app: Express;
let publicApiUrl: string;
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let activities: ActivityDependencies;
let worker: RunningWorker;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The http agent service: records every posted task and accepts it with 202. */
const agentService = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    handovers.push({ body: JSON.parse(raw) as HttpAgentRequest, raw });
    res.statusCode = 202;
    res.end();
  });
});

/** The http agent first (analysis), the reference agent for everything else; no validation agent; new tickets in the example repository. */
function orchestratorFor(agentUrl: string): OrchestratorConfig {
  return withConfiguredRepositories(
    parseOrchestratorConfig(
      {
        backends: [
          { name: 'http-agent', type: 'http', capabilities: ['analysis'], url: agentUrl },
          {
            name: 'reference-agent',
            type: 'command',
            capabilities: REFERENCE_CAPABILITIES,
            command: 'node',
            args: ['../../../examples/agents/reference-agent.mjs'],
          },
        ],
        validationPhases: [],
      },
      path.resolve(__dirname, '..', 'fixtures', 'agents'),
    ),
  );
}

/** An app on the same stack whose tickets start with other settings. */
function appWith(overrides: Partial<TicketSettings>): Express {
  return createApp({
    prisma: db.prisma,
    temporal: env.client,
    taskQueue: worker.taskQueue,
    logger: createLogger('silent'),
    orchestrator,
    settings: testSettings(orchestrator, overrides),
  });
}

beforeAll(async () => {
  // The API listens first (its port goes into the callback URLs); it serves the app once built.
  apiServer = http.createServer((req, res) => app(req, res));
  const [agentPort, apiPort, created, database] = await Promise.all([
    listen(agentService),
    listen(apiServer),
    createTemporalEnvironment(),
    createTestDatabase(),
  ]);
  [env, db] = [created, database];
  orchestrator = orchestratorFor(`http://127.0.0.1:${agentPort}/tasks`);
  publicApiUrl = `http://127.0.0.1:${apiPort}/api/v1`;
  activities = testActivities(db.prisma, orchestrator, publicApiUrl);
  await prepareTestRepositories(db.prisma, orchestrator);
  worker = await startWorker(env, activities);
  app = appWith({});
});

afterAll(async () => {
  await close(apiServer);
  await close(agentService);
  await worker?.stop();
  await env?.teardown();
  await db?.drop();
  if (activities) rmSync(activities.workspacesDir, { recursive: true, force: true });
});

const api = () => request(app);

function expectError(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

const RICH: Record<string, unknown> = { ...RICH_TICKET };
const TERSE = { title: 'Fix typo', description: 'Typo in header', acceptanceCriteria: ['Header reads correctly'], priority: 'LOW' };

const REVIEWED_REQUIREMENTS = REVIEWED_TERSE_REQUIREMENTS;

type TicketRow = { id: string; workflowId: string; phaseId: string; blockedReason: string | null };

async function createTicket(body: Record<string, unknown>, on: Express = app): Promise<TicketRow> {
  const response = await request(on)
    .post('/api/v1/tickets')
    .send({ externalId: `PW-${randomUUID()}`, policy: 'manual', ...body });
  expect(response.status).toBe(201);
  return response.body as TicketRow;
}

async function transition(id: string, toPhase: Phase): Promise<TicketWorkflowState> {
  const response = await api().post(`/api/v1/tickets/${id}/transition`).send({ toPhase, transitionedBy: 'tester' });
  expect(response.status).toBe(200);
  return response.body as TicketWorkflowState;
}

const state = async (id: string) => (await api().get(`/api/v1/tickets/${id}/state`).expect(200)).body as TicketWorkflowState;
const waitForState = (id: string, done: (s: TicketWorkflowState) => boolean, what: string, timeoutMs = 40_000) =>
  poll(() => state(id), done, what, timeoutMs, 150);

/** The task the http agent was handed for `ticketId`, attempt `attempt`. */
const waitForHandover = (ticketId: string, attempt = 1, taskType = ANALYZE) =>
  poll(
    () => handovers.find(({ body }) => body.ticket.id === ticketId && body.task.taskType === taskType && body.task.attempt === attempt),
    (found) => found !== undefined,
    `the http agent to be handed ${taskType} (attempt ${attempt}) of ticket ${ticketId}`,
    20_000,
    50,
  ) as Promise<Handover>;

/** Path and query of an absolute callback URL, for supertest. */
const local = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

const taskRow = (id: string) => db.prisma.task.findUniqueOrThrow({ where: { id } });

/** A manual ticket in REQUIREMENTS whose analysis task waits for the http agent's callback. */
async function parkedTicket(body: Record<string, unknown> = RICH) {
  const ticket = await createTicket(body);
  await transition(ticket.id, Phase.REQUIREMENTS);
  const handover = await waitForHandover(ticket.id);
  return { ticket, handover, taskId: handover.body.task.id };
}

/** A manual ticket whose REQUIREMENTS work completed: the http agent answered, the reference agent wrote the document. */
async function completedRequirements() {
  const { ticket, handover } = await parkedTicket();
  await api()
    .post(local(handover.body.callback.completeUrl))
    .send({ output: { summary: 'done', context: { risks: ['r'] } }, artifacts: [] })
    .expect(200);
  await waitForState(ticket.id, (s) => s.run.step === 'complete', 'REQUIREMENTS work to complete');
  return ticket;
}

describe('http agent backend', () => {
  it('hands a task to the agent service without its task token and completes it through one callback per attempt', async () => {
    const ticket = await createTicket(RICH);
    await transition(ticket.id, Phase.REQUIREMENTS);
    const first = await waitForHandover(ticket.id, 1);
    const taskId = first.body.task.id;
    expect(first.body.callback).toEqual({
      completeUrl: `${publicApiUrl}/tasks/${taskId}/complete?attempt=1`,
      failUrl: `${publicApiUrl}/tasks/${taskId}/fail?attempt=1`,
    });
    expect(first.body).toMatchObject({
      protocol: 'ticket-orchestrator/agent-v1',
      task: { taskType: ANALYZE, phase: Phase.REQUIREMENTS, attempt: 1 },
      ticket: { id: ticket.id },
    });

    // The task token stays on the server: not in the handed-over body, not in any API answer.
    const row = await taskRow(taskId);
    expect(row).toMatchObject({ status: 'running', attempts: 1, assignedAgent: 'http-agent' });
    const token = Buffer.from(row.taskToken!);
    expect(token.length).toBeGreaterThan(0);
    expect(first.raw).not.toMatch(/task_?token/i);
    for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(first.raw).not.toContain(token.toString(encoding));
    const shown = await api().get(`/api/v1/tasks/${taskId}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: taskId, status: 'running', taskType: ANALYZE, assignedAgent: 'http-agent', attempts: 1 });
    expect(shown.body).not.toHaveProperty('taskToken');
    const listed = await api().get(`/api/v1/tickets/${ticket.id}/tasks`).expect(200);
    expect(listed.body.items.every((item: object) => !('taskToken' in item))).toBe(true);

    // A retryable failure of attempt 1: the task is handed over again as attempt 2.
    const failed = await api().post(local(first.body.callback.failUrl)).send({ error: 'agent service overloaded' });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ id: taskId, error: 'AgentTaskFailed: agent service overloaded' });
    expect(failed.body).not.toHaveProperty('taskToken');
    const second = await waitForHandover(ticket.id, 2);
    expect(second.body.callback.completeUrl).toBe(`${publicApiUrl}/tasks/${taskId}/complete?attempt=2`);
    await poll(
      () => taskRow(taskId),
      (task) => task.attempts === 2 && task.status === 'running' && task.taskToken !== null,
      'attempt 2 to await its callback',
    );

    // A late callback of attempt 1 is refused and changes nothing.
    const before = await taskRow(taskId);
    const stale = await api()
      .post(local(first.body.callback.completeUrl))
      .send({ output: { summary: 'late' } });
    expectError(stale, 409, 'TASK_NOT_AWAITING_CALLBACK');
    expect(stale.body.error.details).toMatchObject({ taskId, status: 'running', attempts: 2 });
    expect(await taskRow(taskId)).toEqual(before);

    const completed = await api()
      .post(local(second.body.callback.completeUrl))
      .send({ output: { summary: 'done', context: { risks: ['r'] } }, artifacts: [] });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({
      id: taskId,
      status: 'completed',
      attempts: 2,
      error: null,
      result: { output: { summary: 'done', context: { risks: ['r'] } }, artifacts: [] },
    });
    expect(completed.body).not.toHaveProperty('taskToken');
    const after = await taskRow(taskId);
    expect(after.callbackAt).not.toBeNull();

    // Every further callback is refused, and nothing changes.
    expectError(
      await api()
        .post(local(second.body.callback.completeUrl))
        .send({ output: { summary: 'again' } }),
      409,
      'TASK_NOT_AWAITING_CALLBACK',
    );
    expectError(await api().post(local(first.body.callback.completeUrl)).send({}), 409, 'TASK_NOT_AWAITING_CALLBACK');
    expectError(await api().post(`/api/v1/tasks/${taskId}/complete`).send({}), 409, 'TASK_NOT_AWAITING_CALLBACK');
    expectError(await api().post(`/api/v1/tasks/${taskId}/fail`).send({ error: 'too late' }), 409, 'TASK_NOT_AWAITING_CALLBACK');
    expectError(await api().post(local(second.body.callback.failUrl)).send({ error: 'too late', retryable: false }), 409, 'TASK_NOT_AWAITING_CALLBACK');
    expect(await taskRow(taskId)).toEqual(after);

    // The workflow goes on: the document task runs on the reference agent, the gate passes.
    const done = await waitForState(ticket.id, (s) => s.run.step === 'complete' || s.phase !== Phase.REQUIREMENTS, 'REQUIREMENTS work to complete');
    expect(done).toMatchObject({ phase: Phase.REQUIREMENTS, policy: 'manual', run: { step: 'complete', gate: { status: 'passed' } } });
    const tasks = await api().get(`/api/v1/tickets/${ticket.id}/tasks`).expect(200);
    expect(tasks.body.items.map((t: { taskType: string; status: string; assignedAgent: string }) => [t.taskType, t.status, t.assignedAgent])).toEqual([
      [ANALYZE, 'completed', 'http-agent'],
      [DOCUMENT, 'completed', 'reference-agent'],
    ]);
    // Only the two attempts were handed over.
    expect(handovers.filter(({ body }) => body.ticket.id === ticket.id).map(({ body }) => body.task.attempt)).toEqual([1, 2]);
  });

  it('blocks the ticket when the agent reports a failure that is not retryable', async () => {
    const { ticket, handover, taskId } = await parkedTicket();
    const failed = await api().post(local(handover.body.callback.failUrl)).send({ error: 'the ticket is out of my league', retryable: false });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ id: taskId, status: 'failed', error: 'AgentTaskFailed: the ticket is out of my league' });

    const blocked = await waitForState(ticket.id, (s) => s.phase === Phase.BLOCKED, 'the ticket to be blocked');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'task' });
    expect(blocked.blocked!.reason).toContain(`task ${ANALYZE} failed: AgentTaskFailed: the ticket is out of my league (not retryable)`);
    const row = await poll(
      () => api().get(`/api/v1/tickets/${ticket.id}`),
      (r) => r.body.phaseId === Phase.BLOCKED,
      'the ticket row to be blocked',
    );
    expect(row.body.blockedReason).toContain('AgentTaskFailed');
    expect(await taskRow(taskId)).toMatchObject({ status: 'failed', attempts: 1, taskToken: null });
    expectError(await api().post(local(handover.body.callback.failUrl)).send({ error: 'again', retryable: false }), 409, 'TASK_NOT_AWAITING_CALLBACK');
    expect(handovers.filter(({ body }) => body.ticket.id === ticket.id)).toHaveLength(1);
  });

  it('records each callback’s attempt as an execution with the usage the agent reported (issue 10)', async () => {
    const { ticket, handover, taskId } = await parkedTicket();
    const usage = { inputTokens: 1200, outputTokens: 340, cachedTokens: 200, costUsd: 0.0042, turns: 3, sessionId: 'agent-session-1' };
    await api().post(local(handover.body.callback.failUrl)).send({ error: 'rate limited upstream', usage }).expect(200);
    const second = await waitForHandover(ticket.id, 2);
    await poll(
      () => taskRow(taskId),
      (task) => task.attempts === 2 && task.taskToken !== null,
      'attempt 2 to await its callback',
    );
    // A late callback of attempt 1 records nothing more.
    expectError(await api().post(local(handover.body.callback.completeUrl)).send({ usage }), 409, 'TASK_NOT_AWAITING_CALLBACK');
    await api()
      .post(local(second.body.callback.completeUrl))
      .send({ output: { summary: 'done' }, usage: { inputTokens: 10, outputTokens: 5 } })
      .expect(200);

    const task = await api().get(`/api/v1/tasks/${taskId}`).expect(200);
    expect(task.body.executions).toEqual([
      expect.objectContaining({ attempt: 1, backend: 'http-agent', backendType: 'http', model: null, status: 'failed', error: 'rate limited upstream' }),
      expect.objectContaining({ attempt: 2, backend: 'http-agent', backendType: 'http', status: 'completed', error: null }),
    ]);
    expect(task.body.executions[0]).toMatchObject({ ...usage, costSource: 'reported' });
    expect(task.body.executions[1]).toMatchObject({
      inputTokens: 10,
      outputTokens: 5,
      cachedTokens: 0,
      costUsd: null,
      costSource: null,
      turns: 0,
      sessionId: null,
    });
    for (const execution of task.body.executions) expect(execution.durationMs).toBeGreaterThanOrEqual(0);
    expect(task.body.usage).toMatchObject({
      executions: 2,
      inputTokens: 1210,
      outputTokens: 345,
      cachedTokens: 200,
      costUsd: 0.0042,
      costSources: ['reported'],
      turns: 3,
    });
    const shown = await api().get(`/api/v1/tickets/${ticket.id}`).expect(200);
    expect(shown.body.usage.byPhase[Phase.REQUIREMENTS]).toMatchObject({ inputTokens: 1210, costUsd: 0.0042 });
  });

  it('refuses a callback whose usage is malformed, recording nothing', async () => {
    const { taskId, handover } = await parkedTicket();
    const before = await taskRow(taskId);
    for (const usage of [
      { inputTokens: 10 },
      { inputTokens: -1, outputTokens: 0 },
      { inputTokens: 1.5, outputTokens: 0 },
      { inputTokens: 10, outputTokens: 0, cachedTokens: 11 },
      { inputTokens: 10, outputTokens: 0, costUsd: -0.01 },
      { inputTokens: 10, outputTokens: 0, model: 'x' },
    ]) {
      expectError(await api().post(local(handover.body.callback.completeUrl)).send({ usage }), 400, 'VALIDATION_FAILED');
      expectError(await api().post(local(handover.body.callback.failUrl)).send({ error: 'x', usage }), 400, 'VALIDATION_FAILED');
    }
    expect(await taskRow(taskId)).toEqual(before);
    expect(await db.prisma.agentExecution.count({ where: { taskId } })).toBe(0);
  });

  it('validates callback requests before touching the task', async () => {
    const { taskId, handover } = await parkedTicket();
    const before = await taskRow(taskId);
    expectError(await api().post(local(handover.body.callback.completeUrl)).send({ output: 'not an object' }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(local(handover.body.callback.completeUrl)).send({ output: {}, extra: 1 }), 400, 'VALIDATION_FAILED');
    expectError(
      await api()
        .post(local(handover.body.callback.completeUrl))
        .send({ artifacts: [{ type: 'Bad Type', content: 'x' }] }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await api().post(local(handover.body.callback.failUrl)).send({}), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tasks/${taskId}/complete?attempt=0`).send({}), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tasks/${taskId}/complete?attempt=abc`).send({}), 400, 'VALIDATION_FAILED');
    expect(await taskRow(taskId)).toEqual(before);

    expectError(await api().post(`/api/v1/tasks/${randomUUID()}/complete`).send({}), 404, 'TASK_NOT_FOUND');
    expectError(await api().post('/api/v1/tasks/not-a-task/fail').send({ error: 'x' }), 404, 'TASK_NOT_FOUND');
    // A task that was never handed to an http agent has no callback to answer.
    const document = await db.prisma.task.findFirstOrThrow({ where: { ticketId: before.ticketId, taskType: DOCUMENT } });
    const refused = await api().post(`/api/v1/tasks/${document.id}/complete`).send({});
    expectError(refused, 409, 'TASK_NOT_AWAITING_CALLBACK');
    expect(refused.body.error.details).toMatchObject({ taskId: document.id, status: 'pending' });
    expect(await taskRow(document.id)).toEqual(document);
  });
});

describe('tasks', () => {
  let parked: Awaited<ReturnType<typeof parkedTicket>>;
  beforeAll(async () => {
    parked = await parkedTicket();
  });

  it('POST /tickets/:id/generate-tasks returns the run tasks, the same ones every time', async () => {
    const { ticket } = parked;
    const first = await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({});
    expect(first.status).toBe(200);
    expect(first.body.items.map((t: { taskType: string }) => t.taskType)).toEqual([ANALYZE, DOCUMENT]);
    expect(first.body.items.every((t: object) => !('taskToken' in t))).toBe(true);
    const ids = first.body.items.map((t: { id: string }) => t.id);
    const noBody = await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`);
    const camel = await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phaseId: Phase.REQUIREMENTS });
    const snake = await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phase_id: Phase.REQUIREMENTS });
    for (const response of [noBody, camel, snake]) {
      expect(response.status).toBe(200);
      expect(response.body.items.map((t: { id: string }) => t.id)).toEqual(ids);
    }
    expect(first.body.items[0]).toMatchObject({ phaseId: Phase.REQUIREMENTS, phaseEntry: 1, status: 'running' });
    expect(await db.prisma.task.count({ where: { ticketId: ticket.id } })).toBe(2);
  });

  it('POST /tickets/:id/generate-tasks refuses bad input, unknown tickets and phases never entered, writing nothing', async () => {
    const { ticket } = parked;
    const before = await db.prisma.task.count();
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phaseId: 'PHASE_NOPE' }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phase_id: 'requirements' }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phase: Phase.REQUIREMENTS }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${randomUUID()}/generate-tasks`).send({}), 404, 'TICKET_NOT_FOUND');
    expectError(await api().post('/api/v1/tickets/not-a-ticket/generate-tasks').send({}), 404, 'TICKET_NOT_FOUND');
    const notEntered = await api().post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phaseId: Phase.DESIGN });
    expectError(notEntered, 409, 'PHASE_NOT_ENTERED');
    expect(notEntered.body.error.details).toEqual({ ticketId: ticket.id, phaseId: Phase.DESIGN });
    expect(await db.prisma.task.count()).toBe(before);
  });

  it('GET /tickets/:id/tasks lists all tasks or one phase', async () => {
    const { ticket } = parked;
    const all = await api().get(`/api/v1/tickets/${ticket.id}/tasks`);
    expect(all.status).toBe(200);
    expect(all.body.items.map((t: { taskType: string }) => t.taskType)).toEqual([ANALYZE, DOCUMENT]);
    const snake = await api().get(`/api/v1/tickets/${ticket.id}/tasks?phase_id=${Phase.REQUIREMENTS}`).expect(200);
    expect(snake.body.items).toEqual(all.body.items);
    const camel = await api().get(`/api/v1/tickets/${ticket.id}/tasks?phaseId=${Phase.REQUIREMENTS}`).expect(200);
    expect(camel.body.items).toEqual(all.body.items);
    expect((await api().get(`/api/v1/tickets/${ticket.id}/tasks?phase_id=${Phase.DESIGN}`).expect(200)).body).toEqual({ items: [] });
    expectError(await api().get(`/api/v1/tickets/${ticket.id}/tasks?phase_id=PHASE_NOPE`), 400, 'VALIDATION_FAILED');
    expectError(await api().get(`/api/v1/tickets/${ticket.id}/tasks?colour=red`), 400, 'VALIDATION_FAILED');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/tasks`), 404, 'TICKET_NOT_FOUND');
  });

  it('GET /tasks/:id shows one task, 404 TASK_NOT_FOUND otherwise', async () => {
    const response = await api().get(`/api/v1/tasks/${parked.taskId}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: parked.taskId, ticketId: parked.ticket.id, taskType: ANALYZE, status: 'running' });
    expect(response.body).not.toHaveProperty('taskToken');
    for (const id of [randomUUID(), 'not-a-task', '123', "1' OR '1'='1"]) {
      const missing = await api().get(`/api/v1/tasks/${encodeURIComponent(id)}`);
      expectError(missing, 404, 'TASK_NOT_FOUND');
      expect(missing.body.error.details).toEqual({ taskId: id });
    }
  });

  it('POST /tickets/:id/transition out of a phase whose gate is pending answers 409 GATE_NOT_PASSED', async () => {
    const { ticket } = parked;
    const historyBefore = await db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } });
    const response = await api().post(`/api/v1/tickets/${ticket.id}/transition`).send({ toPhase: Phase.DESIGN });
    expectError(response, 409, 'GATE_NOT_PASSED');
    expect(response.body.error.message).toContain('not validated yet');
    expect(response.body.error.details).toEqual({
      fromPhase: Phase.REQUIREMENTS,
      toPhase: Phase.DESIGN,
      validTransitions: [Phase.DESIGN, Phase.BLOCKED],
      blockingReasons: [],
    });
    expect(await db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(historyBefore);
    expect((await state(ticket.id)).phase).toBe(Phase.REQUIREMENTS);
  });
});

describe('task templates', () => {
  const NEW_TYPE = 'announce_release';
  afterAll(async () => {
    // Never leave the test template active: a later ticket entering DEPLOYMENT would get its task.
    await db.prisma.taskTemplate.updateMany({ where: { taskType: NEW_TYPE }, data: { isActive: false } });
  });

  it('lists the seeded templates, by phase', async () => {
    const all = await api().get('/api/v1/task-templates').expect(200);
    // The seeds' 7, and the orchestrator's own 3 (issue 9).
    expect(all.body.items).toHaveLength(10);
    const requirements = await api().get(`/api/v1/task-templates?phase_id=${Phase.REQUIREMENTS}`).expect(200);
    expect(requirements.body.items.map((t: { taskType: string; requiredCapabilities: string[] }) => [t.taskType, t.requiredCapabilities])).toEqual([
      [ANALYZE, ['analysis']],
      [DOCUMENT, ['documentation']],
    ]);
    expect((await api().get(`/api/v1/task-templates?phaseId=${Phase.TESTING}`).expect(200)).body.items).toHaveLength(3);
    expectError(await api().get('/api/v1/task-templates?phase_id=PHASE_NOPE'), 400, 'VALIDATION_FAILED');
    expectError(await api().get('/api/v1/task-templates?include_inactive=yes'), 400, 'VALIDATION_FAILED');
  });

  it('creates, refuses duplicates and bad input, updates and disables a template', async () => {
    const count = () => db.prisma.taskTemplate.count();
    const before = await count();
    const body = {
      phaseId: Phase.DEPLOYMENT,
      taskType: NEW_TYPE,
      templateDescription: 'Announce the release of {ticket_title}',
      requiredCapabilities: ['deployment'],
      dependenciesTemplate: ['deploy_feature'],
    };
    const created = await api().post('/api/v1/task-templates').send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, id: expect.any(String), defaultPriority: 'MEDIUM', isActive: true });
    const id = created.body.id as string;
    expect(await count()).toBe(before + 1);
    try {
      const duplicate = await api()
        .post('/api/v1/task-templates')
        .send({ ...body, templateDescription: 'another' });
      expectError(duplicate, 409, 'TEMPLATE_EXISTS');
      expect(duplicate.body.error.details).toEqual({ phaseId: Phase.DEPLOYMENT, taskType: NEW_TYPE });
      for (const bad of [
        { ...body, taskType: 'Announce-Release' },
        { ...body, taskType: '' },
        { ...body, phaseId: 'PHASE_NOPE' },
        { ...body, templateDescription: '  ' },
        { ...body, defaultPriority: 'URGENT' },
        { ...body, requiredCapabilities: 'deployment' },
        { ...body, colour: 'red' },
        { phaseId: Phase.DEPLOYMENT, taskType: 'missing_description' },
      ]) {
        expectError(await api().post('/api/v1/task-templates').send(bad), 400, 'VALIDATION_FAILED');
      }
      expect(await count()).toBe(before + 1);

      const patched = await api()
        .patch(`/api/v1/task-templates/${id}`)
        .send({ defaultPriority: 'LOW', templateDescription: 'Announce {ticket_title} to the team' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        id,
        taskType: NEW_TYPE,
        defaultPriority: 'LOW',
        templateDescription: 'Announce {ticket_title} to the team',
        isActive: true,
      });
      const unchanged = await db.prisma.taskTemplate.findUniqueOrThrow({ where: { id } });
      expectError(await api().patch(`/api/v1/task-templates/${id}`).send({}), 400, 'VALIDATION_FAILED');
      expectError(await api().patch(`/api/v1/task-templates/${id}`).send({ taskType: 'renamed' }), 400, 'VALIDATION_FAILED');
      expectError(await api().patch(`/api/v1/task-templates/${id}`).send({ defaultPriority: 'URGENT' }), 400, 'VALIDATION_FAILED');
      expect(await db.prisma.taskTemplate.findUniqueOrThrow({ where: { id } })).toEqual(unchanged);
      const missing = await api().patch(`/api/v1/task-templates/${randomUUID()}`).send({ defaultPriority: 'LOW' });
      expectError(missing, 404, 'TEMPLATE_NOT_FOUND');
      expectError(await api().patch('/api/v1/task-templates/not-a-template').send({ defaultPriority: 'LOW' }), 404, 'TEMPLATE_NOT_FOUND');

      const listed = await api().get(`/api/v1/task-templates?phase_id=${Phase.DEPLOYMENT}`).expect(200);
      expect(listed.body.items.map((t: { taskType: string }) => t.taskType)).toEqual(['deploy_feature', 'integrate_branch', NEW_TYPE]);
      const disabled = await api().post(`/api/v1/task-templates/${id}/disable`);
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ id, isActive: false });
      const active = await api().get(`/api/v1/task-templates?phase_id=${Phase.DEPLOYMENT}`).expect(200);
      expect(active.body.items.map((t: { taskType: string }) => t.taskType)).toEqual(['deploy_feature', 'integrate_branch']);
      expect((await api().get('/api/v1/task-templates').expect(200)).body.items).toHaveLength(10);
      const inactive = await api().get(`/api/v1/task-templates?phase_id=${Phase.DEPLOYMENT}&include_inactive=true`).expect(200);
      expect(inactive.body.items.map((t: { taskType: string; isActive: boolean }) => [t.taskType, t.isActive])).toEqual([
        ['deploy_feature', true],
        ['integrate_branch', true],
        [NEW_TYPE, false],
      ]);
      expectError(await api().post(`/api/v1/task-templates/${randomUUID()}/disable`), 404, 'TEMPLATE_NOT_FOUND');
      expect(await count()).toBe(before + 1);
    } finally {
      await db.prisma.taskTemplate.update({ where: { id }, data: { isActive: false } });
    }
  });
});

describe('gates', () => {
  let parked: Awaited<ReturnType<typeof parkedTicket>>;
  beforeAll(async () => {
    parked = await parkedTicket();
  });

  it('POST /tickets/:id/validate-gate validates the current run now and records the result as the api', async () => {
    const { ticket } = parked;
    const first = await api().post(`/api/v1/tickets/${ticket.id}/validate-gate`).send({});
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      ticketId: ticket.id,
      phase: Phase.REQUIREMENTS,
      entry: 1,
      status: 'failed',
      attempt: 1,
      requirementsMet: false,
      validation: null,
    });
    expect(first.body.blockingReasons).toEqual(expect.arrayContaining([expect.stringContaining('requirements_document')]));
    const second = await api().post(`/api/v1/tickets/${ticket.id}/validate-gate`).send({ phase_id: Phase.REQUIREMENTS });
    expect(second.body).toMatchObject({ status: 'failed', attempt: 2 });
    const rows = await db.prisma.phaseGateResult.findMany({ where: { ticketId: ticket.id }, orderBy: { attempt: 'asc' } });
    expect(rows.map((row) => [row.validatedBy, row.attempt, row.gateStatus, row.phaseId, row.phaseEntry])).toEqual([
      ['api', 1, 'failed', Phase.REQUIREMENTS, 1],
      ['api', 2, 'failed', Phase.REQUIREMENTS, 1],
    ]);
    expect(rows[0]!.blockingReasons).toEqual(first.body.blockingReasons);
    // The API's verdict does not move the workflow's gate, which waits for the running task.
    expect((await state(ticket.id)).run.gate).toEqual({ status: 'pending', blockingReasons: [] });
  });

  it('POST /tickets/:id/validate-gate refuses bad input, unknown tickets and phases never entered, writing nothing', async () => {
    const { ticket } = parked;
    const before = await db.prisma.phaseGateResult.count();
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/validate-gate`).send({ phaseId: 'PHASE_NOPE' }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/validate-gate`).send({ attempt: 3 }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/validate-gate`).send({ phaseId: Phase.TESTING }), 409, 'PHASE_NOT_ENTERED');
    expectError(await api().post(`/api/v1/tickets/${randomUUID()}/validate-gate`).send({}), 404, 'TICKET_NOT_FOUND');
    expect(await db.prisma.phaseGateResult.count()).toBe(before);
  });

  it('GET /tickets/:id/gate-status and /gate-results show the live gate and every validation', async () => {
    const { ticket } = parked;
    const status = await api().get(`/api/v1/tickets/${ticket.id}/gate-status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      phaseId: Phase.REQUIREMENTS,
      entry: 1,
      gate: { status: 'pending', blockingReasons: [] },
      step: 'running_tasks',
      blocked: null,
      validationAgent: false,
      requirements: { requiredArtifacts: ['requirements_document'], requiredTasksCompleted: true },
      artifacts: [],
    });
    const results = await api().get(`/api/v1/tickets/${ticket.id}/gate-results`);
    expect(results.status).toBe(200);
    expect(results.body.items.map((row: { validatedBy: string; attempt: number }) => [row.validatedBy, row.attempt])).toEqual([
      ['api', 1],
      ['api', 2],
    ]);
    expect(status.body.results).toEqual(results.body.items);
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/gate-status`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/gate-results`), 404, 'TICKET_NOT_FOUND');
    expectError(await api().get('/api/v1/tickets/not-a-ticket/gate-results'), 404, 'TICKET_NOT_FOUND');
  });

  it('POST /tickets/:id/transition out of a phase whose gate failed answers 409 GATE_NOT_PASSED with the blocking reasons', async () => {
    // Tickets of this app wait a long time before re-validating a failed gate, so the failed verdict stays in place.
    const patient = appWith({ gateRetries: 1, gateRetryDelayMs: 10 * 60_000 });
    const ticket = await createTicket({ ...TERSE }, patient);
    await transition(ticket.id, Phase.REQUIREMENTS);
    const handover = await waitForHandover(ticket.id);
    await api()
      .post(local(handover.body.callback.completeUrl))
      .send({ output: { summary: 'analysed' } })
      .expect(200);
    const failed = await waitForState(ticket.id, (s) => s.run.gate.status === 'failed' || s.phase !== Phase.REQUIREMENTS, 'the gate to fail');
    expect(failed.phase).toBe(Phase.REQUIREMENTS);
    expect(failed.run.gate.blockingReasons).toEqual(expect.arrayContaining([expect.stringMatching(/^requirements_document: minLength 500 not met/)]));

    const historyBefore = await db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } });
    const response = await request(patient).post(`/api/v1/tickets/${ticket.id}/transition`).send({ toPhase: Phase.DESIGN, transitionedBy: 'tester' });
    expectError(response, 409, 'GATE_NOT_PASSED');
    expect(response.body.error.message).toContain('minLength 500');
    expect(response.body.error.details).toEqual({
      fromPhase: Phase.REQUIREMENTS,
      toPhase: Phase.DESIGN,
      validTransitions: [Phase.DESIGN, Phase.BLOCKED],
      blockingReasons: failed.run.gate.blockingReasons,
    });
    expect(await db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(historyBefore);
    expect((await api().get(`/api/v1/tickets/${ticket.id}`).expect(200)).body.phaseId).toBe(Phase.REQUIREMENTS);
    const status = await api().get(`/api/v1/tickets/${ticket.id}/gate-status`).expect(200);
    expect(status.body.gate).toEqual(failed.run.gate);
    expect(status.body.results.map((row: { validatedBy: string; gateStatus: string }) => [row.validatedBy, row.gateStatus])).toEqual([['workflow', 'failed']]);
  });
});

describe('artifacts', () => {
  it('POST /tickets/:id/artifacts refuses bad input, unknown tickets and phases never entered, writing nothing', async () => {
    const { ticket } = await parkedTicket();
    const url = `/api/v1/tickets/${ticket.id}/artifacts`;
    const before = await db.prisma.phaseGateArtifact.count();
    for (const bad of [
      { artifactType: 'requirements_document' },
      { artifactType: 'requirements_document', content: null },
      { artifactType: 'Requirements Document', content: 'x' },
      { content: 'x' },
      { artifactType: 'requirements_document', content: 'x', phaseId: 'PHASE_NOPE' },
      { artifactType: 'requirements_document', content: 'x', colour: 'red' },
    ]) {
      expectError(await api().post(url).send(bad), 400, 'VALIDATION_FAILED');
    }
    const missing = await api().post(url).send({ artifactType: 'requirements_document' });
    expect(missing.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'content' })]));
    expectError(await api().post(url).send({ artifactType: 'design_document', content: 'x', phaseId: Phase.DESIGN }), 409, 'PHASE_NOT_ENTERED');
    expectError(await api().post(`/api/v1/tickets/${randomUUID()}/artifacts`).send({ artifactType: 'notes', content: 'x' }), 404, 'TICKET_NOT_FOUND');
    expect(await db.prisma.phaseGateArtifact.count()).toBe(before);

    const stored = await api()
      .post(url)
      .send({ artifactType: 'meeting_notes', artifactPath: 'docs/notes.md', content: { text: 'kick-off' }, collectedBy: 'alice' });
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({
      ticketId: ticket.id,
      phaseId: Phase.REQUIREMENTS,
      phaseEntry: 1,
      artifactType: 'meeting_notes',
      artifactPath: 'docs/notes.md',
      artifactContent: { text: 'kick-off' },
      collectedBy: 'alice',
    });
    // The same type and path again replaces the content, never adds a row.
    const replaced = await api()
      .post(url)
      .send({ artifactType: 'meeting_notes', artifactPath: 'docs/notes.md', content: { text: 'kick-off, revised' } });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({ id: stored.body.id, artifactContent: { text: 'kick-off, revised' } });
    expect(await db.prisma.phaseGateArtifact.count()).toBe(before + 1);
  });

  it('unblocks a ticket blocked by its gate when a person posts a requirements document, and the ticket reaches PHASE_DONE', async () => {
    const ticket = await createTicket({ ...TERSE, policy: 'auto' });
    const handover = await waitForHandover(ticket.id);
    await api()
      .post(local(handover.body.callback.completeUrl))
      .send({ output: { summary: 'analysed' } })
      .expect(200);
    const blocked = await waitForState(ticket.id, (s) => s.phase === Phase.BLOCKED, 'the ticket to be blocked by its gate');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'gate' });
    expect(blocked.blocked!.reason).toContain('minLength 500');

    const posted = await api()
      .post(`/api/v1/tickets/${ticket.id}/artifacts`)
      .send({
        artifactType: 'requirements_document',
        artifactPath: 'docs/requirements-reviewed.md',
        content: { text: REVIEWED_REQUIREMENTS, format: 'markdown' },
        collectedBy: 'reviewer@example.com',
      });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      phaseId: Phase.REQUIREMENTS,
      phaseEntry: blocked.run.entry,
      artifactType: 'requirements_document',
      collectedBy: 'reviewer@example.com',
    });

    const done = await poll(
      () => api().get(`/api/v1/tickets/${ticket.id}`),
      (r) => r.body.phaseId === Phase.DONE,
      'the ticket to reach PHASE_DONE',
      50_000,
      250,
    );
    expect(done.body).toMatchObject({ status: 'done', blockedReason: null });
    const history = await api().get(`/api/v1/tickets/${ticket.id}/phase-history`).expect(200);
    const phases = history.body.items.map((row: { toPhase: string }) => row.toPhase);
    expect(phases).toEqual([Phase.REQUIREMENTS, Phase.BLOCKED, ...PHASE_SEQUENCE.slice(1)]);
    expect(history.body.items[2].transitionReason).toContain('passed after new artifacts');
    const gates = await api().get(`/api/v1/tickets/${ticket.id}/gate-results`).expect(200);
    const requirementGates = gates.body.items.filter((row: { phaseId: string }) => row.phaseId === Phase.REQUIREMENTS);
    expect(requirementGates.map((row: { gateStatus: string }) => row.gateStatus)).toEqual(['failed', 'failed', 'passed']);
  }, 90_000);
});

describe('context', () => {
  let ticket: TicketRow;
  beforeAll(async () => {
    ticket = await completedRequirements();
  });

  it('GET /tickets/:id/context shows the aggregated context and the per-run rows', async () => {
    const response = await api().get(`/api/v1/tickets/${ticket.id}/context`);
    expect(response.status).toBe(200);
    const { context, contextSummary, phases } = response.body;
    expect(context.requirements_phase.risks).toEqual(expect.arrayContaining(['r']));
    expect(context.requirements_phase.task_summaries[0]).toBe('done');
    expect(context.requirements_phase.requirements_doc).toContain('## Scope');
    expect(typeof contextSummary).toBe('string');
    expect(contextSummary.length).toBeGreaterThan(0);
    expect(phases).toHaveLength(1);
    expect(phases[0]).toMatchObject({ phaseId: Phase.REQUIREMENTS, phaseEntry: 1, contextSummary });
    expect(phases[0].summaryTokens).toBeGreaterThan(0);
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/context`), 404, 'TICKET_NOT_FOUND');
  });

  it('GET /tickets/:id/context-summary summarizes within max_tokens', async () => {
    const full = await api().get(`/api/v1/tickets/${ticket.id}/context-summary`);
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ phaseId: Phase.DESIGN, summary: expect.any(String) });
    expect(full.body.tokens).toBeGreaterThan(50);
    expect(full.body.tokens).toBeLessThanOrEqual(2000);
    const short = await api().get(`/api/v1/tickets/${ticket.id}/context-summary?max_tokens=50`).expect(200);
    expect(short.body).toMatchObject({ phaseId: Phase.DESIGN, maxTokens: 50 });
    expect(short.body.tokens).toBeGreaterThan(0);
    expect(short.body.tokens).toBeLessThanOrEqual(50);
    expect(short.body.summary.length).toBeLessThan(full.body.summary.length);
    const forPhase = await api().get(`/api/v1/tickets/${ticket.id}/context-summary?phase_id=${Phase.IMPLEMENTATION}&max_tokens=100`).expect(200);
    expect(forPhase.body.phaseId).toBe(Phase.IMPLEMENTATION);
    expect(forPhase.body.tokens).toBeLessThanOrEqual(100);
    for (const query of ['max_tokens=0', 'max_tokens=-1', 'max_tokens=8001', 'max_tokens=abc', 'phase_id=PHASE_NOPE', 'colour=red']) {
      expectError(await api().get(`/api/v1/tickets/${ticket.id}/context-summary?${query}`), 400, 'VALIDATION_FAILED');
    }
    expectError(await api().get(`/api/v1/tickets/${randomUUID()}/context-summary`), 404, 'TICKET_NOT_FOUND');
  });

  it('POST /tickets/:id/update-context re-aggregates a run idempotently, writing nothing on a 4xx', async () => {
    const contexts = () => db.prisma.phaseContext.count({ where: { ticketId: ticket.id } });
    const stored = await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    const response = await api().post(`/api/v1/tickets/${ticket.id}/update-context`).send({});
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ key: 'requirements_phase', phaseId: Phase.REQUIREMENTS, entry: 1, summary: stored.contextSummary });
    expect(response.body.summaryTokens).toBeGreaterThan(0);
    const again = await api().post(`/api/v1/tickets/${ticket.id}/update-context`).send({ phase_id: Phase.REQUIREMENTS }).expect(200);
    expect(again.body).toEqual(response.body);
    expect(await contexts()).toBe(1);
    expect((await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).context).toEqual(stored.context);

    expectError(await api().post(`/api/v1/tickets/${ticket.id}/update-context`).send({ phaseId: Phase.DESIGN }), 409, 'PHASE_NOT_ENTERED');
    expectError(await api().post(`/api/v1/tickets/${ticket.id}/update-context`).send({ phaseId: 'PHASE_NOPE' }), 400, 'VALIDATION_FAILED');
    expectError(await api().post(`/api/v1/tickets/${randomUUID()}/update-context`).send({}), 404, 'TICKET_NOT_FOUND');
    expect(await contexts()).toBe(1);
  });
});
