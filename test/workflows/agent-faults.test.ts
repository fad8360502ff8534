/**
 * Agent faults inside the ticket workflow, end to end on a real Temporal dev server, worker and
 * PostgreSQL with real agent processes: the fault agent of test/fixtures/agents (crash, hang,
 * hang-once, fail-permanent) and the reference agent. A phase's task is steered to a fault backend
 * by changing its task template's required capabilities in this file's own database (restored
 * after each test). Covers retries with backoff, retries exhausted, permanent failures, start-to-close
 * timeouts, an agent killed from outside, cancellation when the ticket leaves the phase, and
 * unblocking a ticket blocked by a task failure.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDependencies } from '../../activities';
import { Phase } from '../../src/ticket/phases';
import { PHASE_TASK_TEMPLATES } from '../../src/phase-work/templates';
import type { TicketSettings } from '../../src/ticket/settings';
import { GATE_NOT_PASSED } from '../../src/ticket/transition';
import type { NewTicket } from '../../src/ticket/client';
import type { ticketWorkflow } from '../../workflows';
import { getStateQuery, transitionUpdate, type TicketWorkflowState } from '../../workflows/ticket/messages';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { prepareTestRepositories } from '../helpers/repositories';
import { createTemporalEnvironment, startWorker, testActivities, testTicketClient, type RunningWorker } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';
import { isAlive, poll } from '../helpers/poll';
import { faultBackend, fixtureConfig, referenceBackend } from '../helpers/agents';

const config = fixtureConfig(
  faultBackend('crashing-agent', 'crash', ['crash']),
  faultBackend('hang-once-agent', 'hang-once', ['hang-once']),
  faultBackend('hanging-agent', 'hang', ['hang']),
  faultBackend('refusing-agent', 'fail-permanent', ['fail-permanent']),
  faultBackend('slow-agent', 'hang', ['slow'], { timeoutMs: 1500 }),
  referenceBackend(),
);

/** A ticket whose requirements the reference agent documents well enough for the gate. */
const RICH = RICH_TICKET;

const ANALYZE = 'analyze_requirements';
const DOCUMENT = 'create_requirements_doc';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let activities: ActivityDependencies;
let worker: RunningWorker;
/** Every agent pid a test saw, killed (if still alive) after all tests as a safety net. */
const seenPids = new Set<number>();

beforeAll(async () => {
  [env, db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
  activities = testActivities(db.prisma, config);
  await prepareTestRepositories(db.prisma, config);
  worker = await startWorker(env, activities);
});

afterAll(async () => {
  for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await worker?.stop();
  await env?.teardown();
  await db?.drop();
  if (activities) rmSync(activities.workspacesDir, { recursive: true, force: true });
});

/** Puts every seeded template back to its seed capabilities. */
afterEach(async () => {
  for (const [phase, templates] of Object.entries(PHASE_TASK_TEMPLATES)) {
    for (const template of templates ?? []) {
      await db.prisma.taskTemplate.updateMany({
        where: { phaseId: phase, taskType: template.taskType },
        data: { requiredCapabilities: template.capabilities, isActive: true },
      });
    }
  }
});

/** Sends the REQUIREMENTS task `taskType` to the backends serving `capabilities` from now on. */
async function route(taskType: string, capabilities: string[]): Promise<void> {
  const { count } = await db.prisma.taskTemplate.updateMany({ where: { phaseId: Phase.REQUIREMENTS, taskType }, data: { requiredCapabilities: capabilities } });
  expect(count).toBe(1);
}

const pidFile = (ticketId: string, taskType: string) => path.join(activities.workspacesDir, ticketId, `${taskType}.pid`);

/** The pid in the agent's pid file, once written. */
function readPid(ticketId: string, taskType: string): number | undefined {
  const file = pidFile(ticketId, taskType);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  seenPids.add(pid);
  return pid;
}

async function waitForPid(ticketId: string, taskType: string, timeoutMs = 20_000): Promise<number> {
  return (await poll(
    () => readPid(ticketId, taskType),
    (pid) => pid !== undefined,
    `${taskType}.pid of ticket ${ticketId}`,
    timeoutMs,
    50,
  ))!;
}

type Handle = WorkflowHandle<typeof ticketWorkflow>;

/** Creates a ticket (manual policy unless given) and starts its workflow. */
async function start(ticket: NewTicket, overrides: Partial<TicketSettings> = {}): Promise<{ id: string; handle: Handle }> {
  const tickets = testTicketClient(db.prisma, env.client, worker.taskQueue, config, overrides);
  const { ticket: row } = await tickets.create({ policy: 'manual', ...ticket });
  return { id: row.id, handle: env.client.workflow.getHandle<typeof ticketWorkflow>(row.workflowId) };
}

const waitForState = (handle: Handle, done: (state: TicketWorkflowState) => boolean, what: string, timeoutMs = 45_000) =>
  poll(() => handle.query(getStateQuery), done, what, timeoutMs, 150);

const transition = (handle: Handle, toPhase: Phase, requestId: string) =>
  handle.executeUpdate(transitionUpdate, { args: [{ toPhase, requestId, transitionedBy: 'tester' }] });

const task = (ticketId: string, taskType: string) => db.prisma.task.findFirstOrThrow({ where: { ticketId, taskType } });

/** The ticket's tasks are one row per (phase, entry, type), and its history one row per sequence. */
async function expectNoDuplicates(ticketId: string): Promise<void> {
  const tasks = await db.prisma.task.findMany({ where: { ticketId } });
  const keys = tasks.map((row) => `${row.phaseId}:${row.phaseEntry}:${row.taskType}`);
  expect(new Set(keys).size).toBe(keys.length);
  const history = await db.prisma.phaseHistory.findMany({ where: { ticketId }, orderBy: { sequence: 'asc' } });
  expect(history.map((row) => row.sequence)).toEqual(history.map((_, index) => index + 1));
}

/** Milliseconds of a protobuf Timestamp. */
const millis = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(ts?.seconds ?? 0) * 1000 + (ts?.nanos ?? 0) / 1e6;

describe('agent faults in the ticket workflow', () => {
  it('retries a task whose agent process is killed from outside mid-task, and the ticket goes on', async () => {
    await route(ANALYZE, ['hang-once']);
    const { id, handle } = await start({ ...RICH, externalId: 'FAULT-KILLED' });
    await transition(handle, Phase.REQUIREMENTS, 'killed-1');

    const pid = await waitForPid(id, ANALYZE);
    expect(isAlive(pid)).toBe(true);
    const running = await task(id, ANALYZE);
    expect(running).toMatchObject({ status: 'running', attempts: 1, assignedAgent: 'hang-once-agent' });
    process.kill(pid, 'SIGKILL');

    const done = await waitForState(handle, (state) => state.run.step === 'complete', 'REQUIREMENTS work to complete');
    expect(done).toMatchObject({ phase: Phase.REQUIREMENTS, run: { phase: Phase.REQUIREMENTS, entry: 1, gate: { status: 'passed' } }, blocked: null });
    expect(isAlive(pid)).toBe(false);

    const analyze = await task(id, ANALYZE);
    expect(analyze).toMatchObject({ id: running.id, status: 'completed', attempts: 2, assignedAgent: 'hang-once-agent', error: null });
    expect((analyze.result as { output: { summary: string } }).output.summary).toMatch(/deliverable/);
    const document = await task(id, DOCUMENT);
    expect(document).toMatchObject({ status: 'completed', attempts: 1, assignedAgent: 'reference-agent', dependencies: [analyze.id] });

    const tasks = await db.prisma.task.findMany({ where: { ticketId: id } });
    expect(tasks.map((row) => row.taskType).sort()).toEqual([ANALYZE, DOCUMENT]);
    await expectNoDuplicates(id);
    const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: id } });
    expect(history.map((row) => row.toPhase)).toEqual([Phase.REQUIREMENTS]);
    const gates = await db.prisma.phaseGateResult.findMany({ where: { ticketId: id } });
    expect(gates.map((row) => row.gateStatus)).toEqual(['passed']);
  });

  it('blocks the ticket after 3 attempts with backoff when the agent crashes every time', async () => {
    await route(ANALYZE, ['crash']);
    const { id, handle } = await start({ ...RICH, externalId: 'FAULT-CRASH' });
    await transition(handle, Phase.REQUIREMENTS, 'crash-1');

    const blocked = await waitForState(handle, (state) => state.phase === Phase.BLOCKED, 'the ticket to be blocked');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, entry: 1, cause: 'task' });
    const reason = blocked.blocked!.reason;
    expect(reason).toContain(`task ${ANALYZE} failed`);
    expect(reason).toContain('AgentProcessFailed');
    expect(reason).toContain('SIGKILL');
    expect(reason).toContain('retries exhausted');
    expect(blocked.tasks.find((t) => t.taskType === ANALYZE)?.status).toBe('failed');

    const analyze = await poll(
      () => task(id, ANALYZE),
      (row) => row.status === 'failed',
      'the task row to be failed',
    );
    expect(analyze).toMatchObject({ attempts: 3, assignedAgent: 'crashing-agent', completedAt: null, result: null });
    expect(analyze.error).toContain('AgentProcessFailed');
    expect(analyze.error).toContain('retries exhausted');
    // The dependent task never started.
    expect(await task(id, DOCUMENT)).toMatchObject({ status: 'pending', attempts: 0, startedAt: null });

    const ticket = await poll(
      () => db.prisma.ticket.findUniqueOrThrow({ where: { id } }),
      (row) => row.phaseId === Phase.BLOCKED,
      'the ticket row to be blocked',
    );
    expect(ticket).toMatchObject({ status: 'blocked', previousPhaseId: Phase.REQUIREMENTS, blockedReason: reason });
    const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => [row.toPhase, row.transitionedBy])).toEqual([
      [Phase.REQUIREMENTS, 'tester'],
      [Phase.BLOCKED, 'orchestrator'],
    ]);
    expect(history[1]!.transitionReason).toBe(reason);
    await expectNoDuplicates(id);

    // Three executions, each routed afresh (routeTask before each), with backoff (200 ms, then 400 ms) in between.
    const { events } = await handle.fetchHistory();
    const scheduled = (name: string) => (events ?? []).filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === name);
    const executions = scheduled('executeTask');
    expect(executions).toHaveLength(3);
    expect(scheduled('routeTask')).toHaveLength(3);
    expect(executions.every((event) => event.activityTaskScheduledEventAttributes!.retryPolicy!.maximumAttempts === 1)).toBe(true);
    const lastId = executions[2]!.eventId!.toString();
    const failed = (events ?? []).find((event) => event.activityTaskFailedEventAttributes?.scheduledEventId?.toString() === lastId)!;
    expect(failed).toBeDefined();
    expect(millis(failed.eventTime) - millis(executions[0]!.eventTime)).toBeGreaterThanOrEqual(600);
  });

  it('blocks the ticket after ONE attempt when the agent fails permanently', async () => {
    await route(ANALYZE, ['fail-permanent']);
    const { id, handle } = await start({ ...RICH, externalId: 'FAULT-PERMANENT' });
    await transition(handle, Phase.REQUIREMENTS, 'permanent-1');

    const blocked = await waitForState(handle, (state) => state.phase === Phase.BLOCKED, 'the ticket to be blocked');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'task' });
    expect(blocked.blocked!.reason).toContain(`task ${ANALYZE} failed`);
    expect(blocked.blocked!.reason).toContain('AgentTaskFailed');
    expect(blocked.blocked!.reason).toContain('injected permanent failure');
    expect(blocked.blocked!.reason).toContain('not retryable');

    const analyze = await poll(
      () => task(id, ANALYZE),
      (row) => row.status === 'failed',
      'the task row to be failed',
    );
    expect(analyze).toMatchObject({ attempts: 1, assignedAgent: 'refusing-agent' });
    expect(analyze.error).toContain('not retryable');
    const ticket = await poll(
      () => db.prisma.ticket.findUniqueOrThrow({ where: { id } }),
      (row) => row.phaseId === Phase.BLOCKED,
      'the ticket row to be blocked',
    );
    expect(ticket.blockedReason).toBe(blocked.blocked!.reason);
    expect(await db.prisma.phaseHistory.count({ where: { ticketId: id, toPhase: Phase.BLOCKED } })).toBe(1);
  });

  it('blocks the ticket after 3 start-to-close timeouts and kills every timed-out agent', async () => {
    await route(ANALYZE, ['slow']);
    const { id, handle } = await start({ ...RICH, externalId: 'FAULT-SLOW' });
    await transition(handle, Phase.REQUIREMENTS, 'slow-1');

    // Every attempt writes its pid to the same file: watch it while the attempts run.
    const pids = new Set<number>();
    const blocked = await poll(
      async () => {
        const pid = readPid(id, ANALYZE);
        if (pid !== undefined) pids.add(pid);
        return handle.query(getStateQuery);
      },
      (state) => state.phase === Phase.BLOCKED,
      'the ticket to be blocked',
      45_000,
      50,
    );
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'task' });
    expect(blocked.blocked!.reason).toContain(`task ${ANALYZE} failed`);
    expect(blocked.blocked!.reason).toMatch(/START_TO_CLOSE timeout/);
    expect(blocked.blocked!.reason).toContain('retries exhausted');

    const analyze = await poll(
      () => task(id, ANALYZE),
      (row) => row.status === 'failed',
      'the task row to be failed',
    );
    expect(analyze).toMatchObject({ attempts: 3, assignedAgent: 'slow-agent' });
    expect(pids.size).toBe(3);
    await poll(
      () => [...pids].filter(isAlive),
      (alive) => alive.length === 0,
      'every timed-out agent to be killed',
      10_000,
    );
  });

  /** A manual ticket in REQUIREMENTS whose analysis hangs in the hanging agent, then blocked by hand. */
  async function blockWhileHanging(externalId: string) {
    await route(ANALYZE, ['hang']);
    const { id, handle } = await start({ ...RICH, externalId });
    const entered = await transition(handle, Phase.REQUIREMENTS, `${externalId}-1`);
    const pid = await waitForPid(id, ANALYZE);
    const running = await task(id, ANALYZE);
    expect(running).toMatchObject({ status: 'running', attempts: 1, assignedAgent: 'hanging-agent' });

    // The gate has not been validated while the task runs: the move to DESIGN is refused.
    const refused = await transition(handle, Phase.DESIGN, `${externalId}-2`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refused as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(GATE_NOT_PASSED);
    expect((cause as ApplicationFailure).message).toContain('not validated yet');
    expect((await handle.query(getStateQuery)).phase).toBe(Phase.REQUIREMENTS);
    expect(isAlive(pid)).toBe(true);

    // Blocking by hand leaves the phase: the agent is stopped and the task cancelled.
    const blocked = await transition(handle, Phase.BLOCKED, `${externalId}-3`);
    expect(blocked.phase).toBe(Phase.BLOCKED);
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, entry: entered.run.entry, cause: 'manual' });
    await poll(
      () => isAlive(pid),
      (alive) => !alive,
      `agent process ${pid} to be stopped`,
      8_000,
      50,
    );
    const cancelled = await poll(
      () => task(id, ANALYZE),
      (row) => row.status === 'cancelled',
      'the task row to be cancelled',
      10_000,
    );
    return { id, handle, entered, pid, running, cancelled };
  }

  it('refuses to leave a phase whose task still runs, and stops the agent and cancels the task when the ticket is blocked', async () => {
    const { id, handle, running, cancelled } = await blockWhileHanging('FAULT-CANCEL');
    expect(cancelled).toMatchObject({ id: running.id, assignedAgent: 'hanging-agent', completedAt: null, result: null });
    expect(cancelled.error).toContain(`task ${ANALYZE} cancelled`);
    const state = await handle.query(getStateQuery);
    expect(state.tasks.find((t) => t.taskType === ANALYZE)?.status).toBe('cancelled');
    expect(state.run.step).toBe('failed');
    // Nothing else started, the gate was never validated, and the ticket row shows the manual block.
    expect(await task(id, DOCUMENT)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await db.prisma.phaseGateResult.count({ where: { ticketId: id } })).toBe(0);
    const ticket = await poll(
      () => db.prisma.ticket.findUniqueOrThrow({ where: { id } }),
      (row) => row.phaseId === Phase.BLOCKED,
      'the ticket row to be blocked',
    );
    expect(ticket.blockedReason).toBe('blocked by tester');
    const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => row.toPhase)).toEqual([Phase.REQUIREMENTS, Phase.BLOCKED]);
    await expectNoDuplicates(id);
  });

  it('resumes the same run on a transition back to the phase and re-runs the cancelled task (routing fixed in its template)', async () => {
    const { id, handle, entered, running } = await blockWhileHanging('FAULT-RESUME');
    try {
      await route(ANALYZE, ['analysis']);
      const resumed = await transition(handle, Phase.REQUIREMENTS, 'FAULT-RESUME-4');
      expect(resumed).toMatchObject({ phase: Phase.REQUIREMENTS, blocked: null, run: { phase: Phase.REQUIREMENTS, entry: entered.run.entry } });
      // The cancelled task starts again, with the backend its template now selects.
      const rerun = await poll(
        () => task(id, ANALYZE),
        (row) => row.status !== 'cancelled',
        'the cancelled task to start again',
        20_000,
        50,
      );
      expect(rerun).toMatchObject({ id: running.id, phaseEntry: entered.run.entry, assignedAgent: 'reference-agent' });
      const done = await waitForState(handle, (state) => state.run.step === 'complete' || state.phase !== Phase.REQUIREMENTS, 'the resumed run to complete');
      expect(done).toMatchObject({ phase: Phase.REQUIREMENTS, blocked: null, run: { entry: entered.run.entry, step: 'complete', gate: { status: 'passed' } } });
      expect(await task(id, ANALYZE)).toMatchObject({ id: running.id, status: 'completed' });
      expect(await task(id, DOCUMENT)).toMatchObject({ status: 'completed' });
      const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
      expect(history.map((row) => row.toPhase)).toEqual([Phase.REQUIREMENTS, Phase.BLOCKED, Phase.REQUIREMENTS]);
      await expectNoDuplicates(id);
    } finally {
      readPid(id, ANALYZE); // a re-run that hung again is killed after all tests
    }
  });

  it('unblocks a ticket blocked by a failed task with a transition back to its phase, re-running the task', async () => {
    await route(ANALYZE, ['crash']);
    const { id, handle } = await start({ ...RICH, externalId: 'FAULT-UNBLOCK' });
    const entered = await transition(handle, Phase.REQUIREMENTS, 'unblock-1');
    const blocked = await waitForState(handle, (state) => state.phase === Phase.BLOCKED, 'the ticket to be blocked');
    expect(blocked.blocked).toMatchObject({ cause: 'task', fromPhase: Phase.REQUIREMENTS });
    const failed = await poll(
      () => task(id, ANALYZE),
      (row) => row.status === 'failed',
      'the task row to be failed',
    );

    await route(ANALYZE, ['analysis']);
    const resumed = await transition(handle, Phase.REQUIREMENTS, 'unblock-2');
    expect(resumed).toMatchObject({ phase: Phase.REQUIREMENTS, blocked: null, run: { entry: entered.run.entry } });
    const done = await waitForState(handle, (state) => state.run.step === 'complete' || state.phase !== Phase.REQUIREMENTS, 'the resumed run to complete');
    // Blocked again would name the task's failure here.
    expect(done.blocked?.reason ?? null).toBeNull();
    expect(done).toMatchObject({ phase: Phase.REQUIREMENTS, run: { step: 'complete', gate: { status: 'passed' } } });

    const analyze = await task(id, ANALYZE);
    expect(analyze).toMatchObject({ id: failed.id, status: 'completed', error: null, assignedAgent: 'reference-agent' });
    expect(await task(id, DOCUMENT)).toMatchObject({ status: 'completed' });
    const ticket = await db.prisma.ticket.findUniqueOrThrow({ where: { id } });
    expect(ticket).toMatchObject({ phaseId: Phase.REQUIREMENTS, blockedReason: null });
    await expectNoDuplicates(id);

    // The ticket continues: DESIGN is allowed now.
    const moved = await transition(handle, Phase.DESIGN, 'unblock-3');
    expect(moved.phase).toBe(Phase.DESIGN);
  });
});
