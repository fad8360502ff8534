/**
 * The executeTask activity against a real PostgreSQL and real agent processes: the reference agent
 * completes tasks, the fault-injecting agent (test/fixtures/agents/fault-agent.mjs) hangs, crashes
 * or refuses, and a local HTTP server plays an http agent service. Checks the task row after each
 * outcome, the failure classification (type, retryability), heartbeats, cancellation (the process
 * is killed) and the asynchronous http hand-over (the task token never leaves the orchestrator).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure, CompleteAsyncError } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { storeArtifact } from '../../src/phase-work/gate-store';
import { createExecuteTask } from '../../activities/agents/execute-task';
import { createTicketTrees } from '../../src/repositories/ticket-trees';
import type { StoredTaskResult } from '../../src/agents/protocol';
import type { ActivityDependencies } from '../../activities';
import { parseOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';
import { Phase } from '../../src/ticket/phases';
import { ticketWorkflowId } from '../../src/ticket/ticket';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { testActivities } from '../helpers/temporal';
import { isAlive } from '../helpers/poll';
import { faultBackend, referenceBackend } from '../helpers/agents';

/** The token the mock activity environment hands the activity; must never reach an http agent. */
const TASK_TOKEN = Buffer.from('secret-task-token-0123456789');

let db: TestDatabase;
let server: http.Server;
/** Requests the fake http agent service received. */
const posts: { url: string; body: string }[] = [];
let config: OrchestratorConfig;
let deps: ActivityDependencies;
let executeTask: ReturnType<typeof createExecuteTask>;

/** Answers by path: /accept 202, /reject 400, /unavailable 503. */
function startAgentService(): Promise<http.Server> {
  const statusOf: Record<string, number> = { '/accept': 202, '/reject': 400, '/unavailable': 503 };
  const created = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statusOf[req.url ?? ''] ?? 404;
      res.end();
    });
  });
  return new Promise((resolve) => created.listen(0, '127.0.0.1', () => resolve(created)));
}

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase(), startAgentService()]);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A 600 ms heartbeat timeout makes the activity heartbeat every 200 ms.
  const fault = (name: string, kind: string) => faultBackend(name, kind, [kind], { heartbeatTimeoutMs: 600 });
  const httpAgent = (name: string, capability: string, route: string) => ({ name, type: 'http', capabilities: [capability], url: `${base}${route}` });
  config = parseOrchestratorConfig(
    {
      backends: [
        fault('hanging-agent', 'hang'),
        fault('crashing-agent', 'crash'),
        fault('refusing-agent', 'fail-permanent'),
        httpAgent('http-accepting', 'http-accept', '/accept'),
        httpAgent('http-rejecting', 'http-reject', '/reject'),
        httpAgent('http-unavailable', 'http-unavailable', '/unavailable'),
        { ...referenceBackend(), name: 'reference' },
      ],
    },
    path.resolve(__dirname, '..', 'fixtures', 'agents'),
  );
  deps = testActivities(db.prisma, config);
  executeTask = createExecuteTask(deps, createTicketTrees(db.prisma, deps));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (deps) rmSync(deps.workspacesDir, { recursive: true, force: true });
  await db?.drop();
});

/** A fresh environment per run: a cancelled one stays cancelled. */
const activityEnv = (attempt = 1) =>
  new MockActivityEnvironment({ attempt, taskToken: TASK_TOKEN, base64TaskToken: TASK_TOKEN.toString('base64') }, { logger: new DefaultLogger('ERROR') });

async function newTicket(): Promise<string> {
  const id = randomUUID();
  await db.prisma.ticket.create({
    data: {
      id,
      title: 'CSV export',
      description: '- Export the ticket list as CSV\n- Limit exports to 10000 rows',
      acceptanceCriteria: ['CSV export downloads a file', 'Exports stop at 10000 rows'],
      phaseId: Phase.REQUIREMENTS,
      workflowId: ticketWorkflowId(id),
    },
  });
  return id;
}

async function newTask(
  ticketId: string,
  taskType: string,
  requiredCapabilities: string[],
  { phase = Phase.REQUIREMENTS, dependencies = [] as string[] } = {},
): Promise<string> {
  const task = await db.prisma.task.create({
    data: { ticketId, phaseId: phase, phaseEntry: 1, taskType, description: `${taskType} for the test`, requiredCapabilities, dependencies },
  });
  return task.id;
}

const taskRow = (id: string) => db.prisma.task.findUniqueOrThrow({ where: { id } });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('executeTask through the command backend', () => {
  it('completes a task with the reference agent and stores its output and artifacts', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'analyze_requirements', ['analysis']);

    const before = Date.now();
    const execution = await activityEnv(1).run(executeTask, { taskId });
    expect(execution).toEqual({ taskId, status: 'completed', agent: 'reference' });

    const row = await taskRow(taskId);
    expect(row).toMatchObject({ status: 'completed', assignedAgent: 'reference', attempts: 1, error: null, taskToken: null });
    expect(row.startedAt!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(row.completedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt!.getTime());
    const result = row.result as StoredTaskResult;
    expect(result.output).toMatchObject({
      deliverables: ['Export the ticket list as CSV', 'Limit exports to 10000 rows'],
      context: { acceptance_criteria: ['CSV export downloads a file', 'Exports stop at 10000 rows'] },
    });
    expect(result.artifacts).toEqual([expect.objectContaining({ type: 'requirements_analysis', path: `docs/tickets/${ticketId}/requirements-analysis.json` })]);
    const written = path.join(deps.workspacesDir, ticketId, 'docs', 'tickets', ticketId, 'requirements-analysis.json');
    expect(existsSync(written)).toBe(true);
  });

  it('returns at once for a task already completed, without running the agent again', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'analyze_requirements', ['analysis']);
    await activityEnv(1).run(executeTask, { taskId });
    const first = await taskRow(taskId);
    const written = path.join(deps.workspacesDir, ticketId, 'docs', 'tickets', ticketId, 'requirements-analysis.json');
    rmSync(written);

    const again = await activityEnv(2).run(executeTask, { taskId });
    expect(again).toEqual({ taskId, status: 'completed', agent: 'reference' });
    const second = await taskRow(taskId);
    expect(second).toEqual(first); // same completedAt, attempts still 1, same result
    expect(existsSync(written)).toBe(false); // the agent did not run again
  });

  it("hands the completed dependencies' outputs to the agent", async () => {
    const ticketId = await newTicket();
    const analyzeId = await newTask(ticketId, 'analyze_requirements', ['analysis']);
    const docId = await newTask(ticketId, 'create_requirements_doc', ['documentation'], { dependencies: [analyzeId] });
    await activityEnv().run(executeTask, { taskId: analyzeId });
    await activityEnv().run(executeTask, { taskId: docId });
    const result = (await taskRow(docId)).result as StoredTaskResult;
    expect(result.output).toMatchObject({ usedAnalysis: true });
    const document = result.artifacts.find((artifact) => artifact.type === 'requirements_document');
    expect((document?.content as { text: string }).text).toContain('## Acceptance Criteria');
  });

  it("gives a validate_phase task the run's collected artifacts", async () => {
    const ticketId = await newTicket();
    await storeArtifact(
      db.prisma,
      { ticketId, phase: Phase.REQUIREMENTS, entry: 1 },
      {
        artifactType: 'requirements_document',
        artifactPath: 'docs/requirements.md',
        content: '## Scope\n\nCSV export downloads a file.',
      },
    );
    const taskId = await newTask(ticketId, 'validate_phase', ['validation']);
    await activityEnv().run(executeTask, { taskId });
    const { output } = (await taskRow(taskId)).result as StoredTaskResult;
    // The reference agent saw the document: it names exactly the criterion the text does not mention.
    expect(output).toMatchObject({ approved: false, reasons: ["requirements_document: acceptance criterion 'Exports stop at 10000 rows' not mentioned"] });
  });

  it('heartbeats while the agent runs, and cancellation kills the process', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'long_analysis', ['hang']);
    const env = activityEnv();
    // The agent's heartbeats (before it starts, preparing the workspace heartbeats a `step`).
    const beats: { pid: number; elapsedMs: number }[] = [];
    env.on('heartbeat', (details: { pid?: number; elapsedMs: number }) => {
      if (details.pid !== undefined) beats.push({ pid: details.pid, elapsedMs: details.elapsedMs });
    });

    const started = Date.now();
    const run = failureOf(env.run(executeTask, { taskId }));
    const pidFile = path.join(deps.workspacesDir, ticketId, 'long_analysis.pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '' && beats.length >= 3, 5000, 'the pid file and three heartbeats');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    // heartbeatTimeoutMs 600 → one heartbeat every 200 ms, carrying the process id
    expect(beats[0]).toEqual({ pid, elapsedMs: expect.any(Number) });
    expect(beats[0]!.elapsedMs).toBeGreaterThanOrEqual(150);
    expect(beats[2]!.elapsedMs).toBeGreaterThanOrEqual(beats[0]!.elapsedMs + 300);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await taskRow(taskId)).toMatchObject({ status: 'running', assignedAgent: 'hanging-agent', attempts: 1 });

    env.cancel();
    const error = await run;
    expect(error).toBeInstanceOf(CancelledFailure);
    await waitFor(() => !isAlive(pid), 3000, `agent process ${pid} to be gone`);
    const heartbeatsAtCancel = beats.length;
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(beats.length).toBe(heartbeatsAtCancel); // heartbeats stopped with the process
  });

  it('fails retryably (AgentProcessFailed) when the process is killed, and puts the task back to pending', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'crashy', ['crash']);
    await failureOf(activityEnv(1).run(executeTask, { taskId }));
    const error = await failureOf(activityEnv(2).run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'AgentProcessFailed', nonRetryable: false });
    expect((error as Error).message).toMatch(/^agent process \d+ was killed by SIGKILL$/);
    const row = await taskRow(taskId);
    // Both executions are counted.
    expect(row).toMatchObject({ status: 'pending', attempts: 2, assignedAgent: 'crashing-agent', completedAt: null, result: null });
    expect(row.error).toMatch(/^AgentProcessFailed: agent process \d+ was killed by SIGKILL$/);
  });

  it('fails non-retryably (AgentTaskFailed) when the agent reports a permanent failure, and marks the task failed', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'doomed', ['fail-permanent']);
    const error = await failureOf(activityEnv().run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'AgentTaskFailed', nonRetryable: true, message: 'refusing doomed: injected permanent failure' });
    expect(await taskRow(taskId)).toMatchObject({
      status: 'failed',
      error: 'AgentTaskFailed: refusing doomed: injected permanent failure',
      completedAt: null,
      result: null,
    });
  });

  it('fails non-retryably (NoAgentForCapabilities) when no backend has the capabilities, leaving the task untouched', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'quantum_task', ['analysis', 'quantum']);
    const error = await failureOf(activityEnv().run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'NoAgentForCapabilities', nonRetryable: true });
    expect(await taskRow(taskId)).toMatchObject({ status: 'pending', attempts: 0, assignedAgent: null, startedAt: null });
  });

  it('fails non-retryably (TaskNotFound) for a task that does not exist', async () => {
    const error = await failureOf(activityEnv().run(executeTask, { taskId: randomUUID() }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TaskNotFound', nonRetryable: true });
  });
});

describe('executeTask through the http backend', () => {
  beforeEach(() => {
    posts.length = 0;
  });

  it('hands the task over and completes asynchronously; the task token stays in the database', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'remote_analysis', ['http-accept']);
    const error = await failureOf(activityEnv(1).run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(CompleteAsyncError);

    const row = await taskRow(taskId);
    expect(row).toMatchObject({ status: 'running', assignedAgent: 'http-accepting', attempts: 1, callbackAt: null });
    expect(row.taskToken).not.toBeNull();
    expect(Buffer.from(row.taskToken!).equals(TASK_TOKEN)).toBe(true);

    expect(posts).toHaveLength(1);
    const { url, body } = posts[0]!;
    expect(url).toBe('/accept');
    const request = JSON.parse(body) as { protocol: string; task: { id: string; attempt: number }; callback: { completeUrl: string; failUrl: string } };
    expect(request.protocol).toBe('ticket-orchestrator/agent-v1');
    expect(request.task).toMatchObject({ id: taskId, attempt: 1 });
    expect(request.callback.completeUrl).toBe(`${deps.publicApiUrl}/tasks/${taskId}/complete?attempt=1`);
    expect(request.callback.completeUrl.endsWith(`/tasks/${taskId}/complete?attempt=1`)).toBe(true);
    expect(request.callback.failUrl.endsWith(`/tasks/${taskId}/fail?attempt=1`)).toBe(true);
    for (const secret of [TASK_TOKEN.toString('utf8'), TASK_TOKEN.toString('base64'), TASK_TOKEN.toString('hex')]) {
      expect(body).not.toContain(secret);
    }
  });

  it('fails non-retryably (AgentRejectedTask) when the service answers 400, and marks the task failed', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'remote_rejected', ['http-reject']);
    const error = await failureOf(activityEnv().run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'AgentRejectedTask', nonRetryable: true });
    expect(posts.map((post) => post.url)).toEqual(['/reject']);
    expect(await taskRow(taskId)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^AgentRejectedTask: .*answered 400/) });
  });

  it('fails retryably (AgentUnavailable) when the service answers 503, and puts the task back to pending', async () => {
    const ticketId = await newTicket();
    const taskId = await newTask(ticketId, 'remote_unavailable', ['http-unavailable']);
    const error = await failureOf(activityEnv().run(executeTask, { taskId }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'AgentUnavailable', nonRetryable: false });
    expect(posts.map((post) => post.url)).toEqual(['/unavailable']);
    expect(await taskRow(taskId)).toMatchObject({ status: 'pending', error: expect.stringMatching(/^AgentUnavailable: .*answered 503/) });
  });
});
