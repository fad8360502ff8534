/**
 * Usage and cost (issue 10): executions recorded with `recordExecution` (once per task attempt),
 * summed per task, phase and ticket by `GET /tasks/:id` and `GET /tickets/:id`, on a real
 * PostgreSQL. These endpoints read only the database: the app's Temporal client is never called.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { parseOrchestratorConfig } from '../../src/agents/config';
import { NO_USAGE, recordExecution, reportedUsage, ticketUsage, type ExecutionRecord, type UsageTotals } from '../../src/agents/executions';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/platform/logger';
import { Phase } from '../../src/ticket/phases';
import { ticketWorkflowId } from '../../src/ticket/ticket';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { testSettings } from '../helpers/temporal';

let db: TestDatabase;
let app: Express;

beforeAll(async () => {
  db = await createTestDatabase();
  const orchestrator = parseOrchestratorConfig({ backends: [{ name: 'a', type: 'command', capabilities: ['x'], command: 'node' }] }, '/cfg');
  app = createApp({
    prisma: db.prisma,
    temporal: new Client(),
    taskQueue: 'usage-test',
    logger: createLogger('silent'),
    orchestrator,
    settings: testSettings(orchestrator, {}),
  });
});

afterAll(async () => {
  await db?.drop();
});

async function ticketWithTasks(phases: Phase[]) {
  const id = randomUUID();
  await db.prisma.ticket.create({ data: { id, title: 'Usage', workflowId: ticketWorkflowId(id) } });
  const tasks = [];
  for (const [index, phase] of phases.entries()) {
    tasks.push(await db.prisma.task.create({ data: { ticketId: id, phaseId: phase, phaseEntry: 1, taskType: `task_${index}`, description: 'd' } }));
  }
  return { id, taskIds: tasks.map((task) => task.id) };
}

const started = new Date('2026-11-29T10:00:00.000Z');
const after = (ms: number) => new Date(started.getTime() + ms);

function execution(taskId: string, attempt: number, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    taskId,
    attempt,
    backend: 'claude',
    backendType: 'claude-code',
    model: 'claude-sonnet-4-5',
    status: 'completed',
    usage: { inputTokens: 1000, outputTokens: 200, cachedTokens: 300, costUsd: 0.0123456, costSource: 'reported', turns: 3, sessionId: `s-${attempt}` },
    startedAt: started,
    finishedAt: after(1500),
    ...overrides,
  };
}

const ZERO: UsageTotals = { executions: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0, costSources: [], turns: 0, durationMs: 0 };

describe('usage and cost per task, phase and ticket', () => {
  it('sums every execution once per attempt, per task and per phase, and lists a task’s executions', async () => {
    const { id, taskIds } = await ticketWithTasks([Phase.REQUIREMENTS, Phase.REQUIREMENTS, Phase.IMPLEMENTATION]);
    const [analyze, document, implement] = taskIds as [string, string, string];
    const rateLimited = execution(analyze, 1, {
      status: 'failed',
      failureKind: 'rate_limited',
      error: 'claude-code: API error 429',
      usage: { ...NO_USAGE, inputTokens: 10, turns: 1, sessionId: 's-1' },
      finishedAt: after(250),
    });
    await recordExecution(db.prisma, rateLimited);
    await recordExecution(db.prisma, execution(analyze, 2));
    // An activity retried after it recorded: the same (task, attempt) again counts once.
    await recordExecution(db.prisma, execution(analyze, 2, { usage: { ...execution(analyze, 2).usage, inputTokens: 999_999 } }));
    await recordExecution(
      db.prisma,
      execution(document, 1, {
        backend: 'codex',
        backendType: 'codex',
        model: 'gpt-5.5',
        usage: { inputTokens: 4000, outputTokens: 500, cachedTokens: 0, costUsd: 0.0089, costSource: 'priced', turns: 2, sessionId: 'thread-1' },
        finishedAt: after(4000),
      }),
    );
    await recordExecution(
      db.prisma,
      execution(implement, 1, { backend: 'reference-agent', backendType: 'command', model: null, usage: NO_USAGE, finishedAt: after(100) }),
    );

    const task = await request(app).get(`/api/v1/tasks/${analyze}`).expect(200);
    expect(task.body).toMatchObject({ id: analyze, taskType: 'task_0', status: 'pending' });
    expect(task.body).not.toHaveProperty('taskToken');
    expect(task.body.usage).toEqual({
      executions: 2,
      inputTokens: 1010,
      outputTokens: 200,
      cachedTokens: 300,
      costUsd: 0.012346,
      costSources: ['reported'],
      turns: 4,
      durationMs: 1750,
    });
    expect(task.body.executions).toEqual([
      {
        attempt: 1,
        backend: 'claude',
        backendType: 'claude-code',
        model: 'claude-sonnet-4-5',
        status: 'failed',
        failureKind: 'rate_limited',
        error: 'claude-code: API error 429',
        inputTokens: 10,
        outputTokens: 0,
        cachedTokens: 0,
        costUsd: null,
        costSource: null,
        turns: 1,
        durationMs: 250,
        sessionId: 's-1',
        startedAt: started.toISOString(),
        finishedAt: after(250).toISOString(),
      },
      expect.objectContaining({
        attempt: 2,
        status: 'completed',
        failureKind: null,
        error: null,
        inputTokens: 1000,
        costUsd: 0.012346,
        costSource: 'reported',
      }),
    ]);

    const requirements: UsageTotals = {
      executions: 3,
      inputTokens: 5010,
      outputTokens: 700,
      cachedTokens: 300,
      costUsd: 0.021246,
      costSources: ['priced', 'reported'],
      turns: 6,
      durationMs: 5750,
    };
    const implementation: UsageTotals = { ...ZERO, executions: 1, durationMs: 100 };
    const ticket = await request(app).get(`/api/v1/tickets/${id}`).expect(200);
    expect(ticket.body).toMatchObject({ id, title: 'Usage', phaseId: Phase.BACKLOG, workflowId: ticketWorkflowId(id) });
    expect(ticket.body.usage).toEqual({
      total: { ...requirements, executions: 4, durationMs: 5850 },
      byPhase: { [Phase.REQUIREMENTS]: requirements, [Phase.IMPLEMENTATION]: implementation },
    });
    expect(await ticketUsage(db.prisma, id)).toEqual(ticket.body.usage);
  });

  it('shows zeros and no cost for a ticket and a task without executions', async () => {
    const { id, taskIds } = await ticketWithTasks([Phase.DESIGN]);
    expect((await request(app).get(`/api/v1/tickets/${id}`).expect(200)).body.usage).toEqual({ total: ZERO, byPhase: {} });
    const task = await request(app).get(`/api/v1/tasks/${taskIds[0]}`).expect(200);
    expect(task.body).toMatchObject({ usage: ZERO, executions: [] });
  });

  it('answers 404 for an unknown ticket or task, with the API’s error body', async () => {
    for (const [url, code] of [
      [`/api/v1/tickets/${randomUUID()}`, 'TICKET_NOT_FOUND'],
      ['/api/v1/tickets/not-a-ticket', 'TICKET_NOT_FOUND'],
      [`/api/v1/tasks/${randomUUID()}`, 'TASK_NOT_FOUND'],
      ['/api/v1/tasks/not-a-task', 'TASK_NOT_FOUND'],
    ] as const) {
      const response = await request(app).get(url);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
    }
  });

  it('turns an http agent’s reported usage into an execution’s: a given cost is reported, none is no cost', () => {
    expect(reportedUsage(undefined)).toEqual(NO_USAGE);
    expect(reportedUsage({ inputTokens: 5, outputTokens: 6, cachedTokens: 1, turns: 2, costUsd: 0.5, sessionId: 'abc' })).toEqual({
      inputTokens: 5,
      outputTokens: 6,
      cachedTokens: 1,
      costUsd: 0.5,
      costSource: 'reported',
      turns: 2,
      sessionId: 'abc',
    });
    expect(reportedUsage({ inputTokens: 5, outputTokens: 6, cachedTokens: 0, turns: 0 })).toEqual({ ...NO_USAGE, inputTokens: 5, outputTokens: 6 });
  });
});
