/**
 * Fault "the worker process dies in the middle of an agent task": the stand-alone worker
 * (src/entrypoints/worker.ts, through tsx) runs as a separate OS process on a real Temporal dev
 * server and PostgreSQL; the ticket's first task (analyze_requirements) goes to the fault agent in
 * `hang-once` mode, so its first execution hangs. The test SIGKILLs the worker's whole process
 * group during it (the agent, in a process group of its own, is left running as an orphan) and
 * starts a new worker process. The ticket must still reach PHASE_DONE: the execution times out on
 * its heartbeat (3 s), the retry on the new worker first stops the orphan, and nothing is
 * duplicated: one task row per (phase, task type), one phase_history row per sequence (dense
 * 1..6), artifacts and gate results unique.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeTimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_ORCHESTRATOR_CONFIG, parseOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import { ORCHESTRATOR_TASKS } from '../../src/repositories/contracts';
import type { NewTicket } from '../../src/ticket/client';
import type { ticketWorkflow } from '../../workflows';
import { withConfiguredRepositories } from '../helpers/agents';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { testEnv } from '../helpers/env';
import { prepareTestRepositories } from '../helpers/repositories';
import { isAlive, killQuietly, poll } from '../helpers/poll';
import { createTemporalEnvironment, testTicketClient } from '../helpers/temporal';
import { groupMembers, killAllWorkerProcesses, spawnWorkerProcess, workerEnv, type WorkerProcess } from '../helpers/worker-process';
import { ALL_PHASE_TASKS, RICH_TICKET } from '../helpers/tickets';
import { expectUniqueRunRows } from '../helpers/rows';

jest.setTimeout(120_000);

const ANALYZE = 'analyze_requirements';
const FAULT_AGENT = path.resolve(__dirname, '..', 'fixtures', 'agents', 'fault-agent.mjs');
const HEARTBEAT_TIMEOUT_MS = 3000;
/** The activities that execute a task. */
const TASK_ACTIVITIES = new Set(['executeTask', ...Object.values(ORCHESTRATOR_TASKS)]);

const RICH: NewTicket = { ...RICH_TICKET, policy: 'auto' };

/**
 * The repository's configuration with a `hang-once` fault backend first (capability `hang-once`,
 * which only the analysis template is given here) and every heartbeat timeout at 3 s, written to a
 * temporary file for the worker process (ORCHESTRATOR_CONFIG), with absolute agent paths.
 */
function writeConfig(dir: string): { file: string; config: OrchestratorConfig } {
  const repository = JSON.parse(readFileSync(DEFAULT_ORCHESTRATOR_CONFIG, 'utf8')) as { backends: { args?: string[] }[]; validationPhases: string[] };
  const base = path.dirname(DEFAULT_ORCHESTRATOR_CONFIG);
  const raw = {
    backends: [
      {
        name: 'hang-once-agent',
        type: 'command',
        capabilities: ['hang-once'],
        command: 'node',
        args: [FAULT_AGENT],
        env: { FAULT: 'hang-once' },
        heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      },
      ...repository.backends.map((backend) => ({
        ...backend,
        args: (backend.args ?? []).map((arg) => (arg.startsWith('./') || arg.startsWith('../') ? path.resolve(base, arg) : arg)),
        heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      })),
    ],
    validationPhases: repository.validationPhases,
    gates: {},
  };
  const file = path.join(dir, 'orchestrator.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return { file, config: parseOrchestratorConfig(raw, dir) };
}

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let dir: string;
let workspacesDir: string;
let configFile: string;
let orchestrator: OrchestratorConfig;
const taskQueue = `tickets-crash-${process.pid}-${Date.now()}`;
/** Agent pids seen, killed in afterAll if still alive. */
const agentPids = new Set<number>();

beforeAll(async () => {
  [env, db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'worker-crash-'));
  workspacesDir = path.join(dir, 'workspaces');
  ({ file: configFile, config: orchestrator } = writeConfig(dir));
  orchestrator = withConfiguredRepositories(orchestrator);
  await prepareTestRepositories(db.prisma, orchestrator);
  // Only the analysis goes to the fault backend.
  const { count } = await db.prisma.taskTemplate.updateMany({
    where: { phaseId: Phase.REQUIREMENTS, taskType: ANALYZE },
    data: { requiredCapabilities: ['hang-once'] },
  });
  expect(count).toBe(1);
});

/** Every spawned process is ended, whatever failed before: each step runs even if an earlier one threw. */
afterAll(async () => {
  const steps: (() => unknown)[] = [
    () => killAllWorkerProcesses(),
    () => agentPids.forEach((pid) => killQuietly(pid, 'SIGKILL', true)),
    () => env?.teardown(),
    () => db?.drop(),
    () => dir && rmSync(dir, { recursive: true, force: true }),
  ];
  const failures: unknown[] = [];
  for (const step of steps)
    await Promise.resolve()
      .then(step)
      .catch((error: unknown) => failures.push(error));
  if (failures.length) throw failures[0];
});

function startWorkerProcess(): WorkerProcess {
  return spawnWorkerProcess(
    workerEnv({ database: db.url, env, taskQueue, config: configFile, workspacesDir, repositoryCacheDir: testEnv.repositoryCacheDir() }),
  );
}

/** Whether a process of `worker`'s group polls the ticket queue for workflow tasks (poller identity `<pid>@<host>`). */
async function polling(worker: WorkerProcess): Promise<boolean> {
  const pids = new Set(groupMembers(worker.pid).map(String));
  const { pollers } = await env.client.workflowService.describeTaskQueue({
    namespace: env.namespace ?? 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers.some((poller) => pids.has(String(poller.identity ?? '').split('@')[0] ?? ''));
}

/** Waits until `worker` polls the ticket queue (up to 60 s), naming it and its output otherwise. */
async function untilPolling(worker: WorkerProcess, name: string): Promise<void> {
  await poll(
    () => polling(worker),
    Boolean,
    () => `${name} to poll (its output: ${worker.output()})`,
    60_000,
    250,
  );
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

describe('worker process killed with SIGKILL in the middle of an agent task', () => {
  it('retries the task on a restarted worker and reaches PHASE_DONE with nothing duplicated', async () => {
    const t0 = Date.now();
    const first = startWorkerProcess();
    await untilPolling(first, 'the first worker process');
    const firstReadyMs = Date.now() - t0;

    const tickets = testTicketClient(db.prisma, env.client, taskQueue, orchestrator);
    const { ticket } = await tickets.create(RICH);
    const handle = env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);

    // Attempt 1 of the analysis hangs in the fault agent: its pid file says so.
    const pidFile = path.join(workspacesDir, ticket.id, `${ANALYZE}.pid`);
    const agentPid = (await poll(
      () => readPid(pidFile),
      (pid) => pid !== undefined,
      () => `${pidFile} (worker output: ${first.output()})`,
      60_000,
      50,
    ))!;
    agentPids.add(agentPid);
    expect(isAlive(agentPid)).toBe(true);
    const running = await db.prisma.task.findFirstOrThrow({ where: { ticketId: ticket.id, taskType: ANALYZE } });
    expect(running).toMatchObject({ status: 'running', attempts: 1, assignedAgent: 'hang-once-agent' });

    // Crash: SIGKILL to the worker's whole process group (tsx and the worker it runs).
    const workerGroup = groupMembers(first.pid);
    first.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await first.exited).toBe('SIGKILL');
    await poll(
      () => groupMembers(first.pid),
      (pids) => pids.length === 0,
      `the worker's process group ${first.pid} to be gone`,
      10_000,
      50,
    );
    // The agent ran in a process group of its own, so it outlived the worker as an orphan; the
    // task's next execution stops it before it starts (its record in WORKSPACES_DIR/.agents/<ticketId>).
    const orphanSurvived = isAlive(agentPid);
    expect(orphanSurvived).toBe(true);

    // Restart.
    const restartedAt = Date.now();
    const second = startWorkerProcess();
    await untilPolling(second, 'the restarted worker process');
    const secondReadyMs = Date.now() - restartedAt;

    // Until the ticket is done (or blocked, with its reason), unless the new worker dies first.
    let finished = false;
    const exitedEarly = new Promise<never>((_, reject) => {
      void second.exited.then((how) => {
        if (!finished) reject(new Error(`the restarted worker exited (${how}) before the ticket finished: ${second.output()}`));
      });
    });
    const final = await Promise.race([
      poll(
        () => db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } }),
        (row) => row.phaseId === Phase.DONE || row.phaseId === Phase.BLOCKED,
        () => `the ticket to reach PHASE_DONE (worker output: ${second.output()})`,
        90_000,
        200,
      ),
      exitedEarly,
    ]);
    finished = true;
    // The retried execution stopped the orphan before it ran.
    expect(isAlive(agentPid)).toBe(false);
    expect({ phase: final.phaseId, blockedReason: final.blockedReason }).toEqual({ phase: Phase.DONE, blockedReason: null });
    const result = await handle.result();
    const doneAt = Date.now();
    expect(result).toMatchObject({ phase: Phase.DONE, status: 'done', transitionCount: 6 });

    // Nothing lost, nothing duplicated.
    const row = await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ phaseId: Phase.DONE, status: 'done', version: 6 });
    const history = await db.prisma.phaseHistory.findMany({ where: { ticketId: ticket.id }, orderBy: { sequence: 'asc' } });
    expect(history.map((h) => [h.sequence, h.fromPhase, h.toPhase])).toEqual(
      PHASE_SEQUENCE.slice(1).map((phase, index) => [index + 1, PHASE_SEQUENCE[index], phase]),
    );
    const tasks = await db.prisma.task.findMany({ where: { ticketId: ticket.id } });
    const taskKeys = tasks.map((task) => `${task.phaseId}/${task.taskType}`);
    expect(new Set(taskKeys).size).toBe(taskKeys.length);
    expect(taskKeys.sort()).toEqual(ALL_PHASE_TASKS);
    expect(tasks.filter((task) => task.status !== 'completed').map((task) => [task.taskType, task.status, task.error])).toEqual([]);
    const analyze = tasks.find((task) => task.taskType === ANALYZE)!;
    // Killed once, then one more execution on the new worker: two in all.
    expect(analyze).toMatchObject({ id: running.id, attempts: 2, assignedAgent: 'hang-once-agent', error: null });
    expect(tasks.filter((task) => task.id !== analyze.id).every((task) => task.attempts === 1)).toBe(true);
    await expectUniqueRunRows(db.prisma, ticket.id);

    // What Temporal saw: every task execution scheduled, and how the killed one ended.
    const { events } = await handle.fetchHistory();
    const executeTasks = new Set<string>();
    const timeouts: string[] = [];
    for (const event of events ?? []) {
      // An agent's execution, or the orchestrator's own task's (verify, integrate: issue 9).
      if (TASK_ACTIVITIES.has(event.activityTaskScheduledEventAttributes?.activityType?.name ?? '')) executeTasks.add(String(event.eventId));
      const timedOut = event.activityTaskTimedOutEventAttributes;
      if (timedOut && executeTasks.has(String(timedOut.scheduledEventId)))
        timeouts.push(decodeTimeoutType(timedOut.failure?.timeoutFailureInfo?.timeoutType) ?? String(timedOut.failure?.message));
    }
    // The killed execution ended by its heartbeat timeout; every other one completed.
    expect(timeouts).toEqual(['HEARTBEAT']);
    expect(executeTasks.size).toBe(tasks.length + 1);

    console.info(
      `worker crash: first worker polling after ${(firstReadyMs / 1000).toFixed(1)} s; killed ${((killedAt - t0) / 1000).toFixed(1)} s after start ` +
        `(process group ${first.pid}: ${workerGroup.length} processes); agent ${agentPid} orphaned and alive after the kill: ${orphanSurvived}; ` +
        `restarted worker polling after ${(secondReadyMs / 1000).toFixed(1)} s; PHASE_DONE ${((doneAt - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `${((doneAt - t0) / 1000).toFixed(1)} s in all; executeTask activities scheduled: ${executeTasks.size} for ${tasks.length} tasks (timed out: ${timeouts.join(', ')}); ` +
        `analysis executions: ${analyze.attempts}; restarted worker stopped with SIGTERM: ${await second.stop()}`,
    );
  });
});
