/**
 * Fault "the Temporal dev server is stopped and restarted on the same `--db-filename` in the middle
 * of a run": all tickets finish.
 *
 * The test owns its dev server (test/helpers/dev-server.ts: `temporal server start-dev --headless
 * --db-filename <tmp>/temporal.db` on fixed ports, with the ticket search attributes), a database,
 * one NativeConnection for the workers and one client Connection, and runs the ticket and agent
 * workers (createTicketWorkers, prebuilt workflow bundle, reference agent) under a supervisor that
 * recreates them if they ever fail, as a process manager would restart a crashed worker process.
 * Four tickets start; once one has reached PHASE_DESIGN or later while none is done and an agent
 * task runs, the server gets SIGTERM; 3 s after it exited it is started again on the same database
 * file and port. While it is down the test issues a `describe` and creates a fifth ticket through
 * TicketClient (both must complete once the server is back, through the client's retries).
 *
 * Then every ticket must reach PHASE_DONE in the database with nothing lost or duplicated:
 * phase_history dense 1..6 along the phase sequence, one task row per (phase, task type), each
 * completed, artifacts, gate results and contexts unique, and the same artifact list for every
 * ticket. The report gives the outage, the time to finish after the restart, what the worker
 * saw (its incarnations, the SDK's warnings) and what Temporal retried.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { loadOrchestratorConfig } from '../../src/agents/config';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import type { NewTicket } from '../../src/ticket/client';
import { createTicketWorkers, type TicketWorkers } from '../../src/worker/create-worker';
import type { ActivityDependencies } from '../../activities';
import type { ticketWorkflow } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { DevServer } from '../helpers/dev-server';
import { testEnv } from '../helpers/env';
import { delay, poll } from '../helpers/poll';
import { prepareTestRepositories } from '../helpers/repositories';
import { testActivities, testTicketClient } from '../helpers/temporal';
import { ALL_PHASE_TASKS } from '../helpers/tickets';
import { activityRetries } from '../helpers/history';
import { expectUniqueRunRows } from '../helpers/rows';

jest.setTimeout(180_000);

/** How long the server stays down after it exited. */
const DOWN_MS = 3_000;
const TICKETS = 4;

const orchestrator = loadOrchestratorConfig();
/** Tickets whose requirements the reference agent documents well enough for every gate. */
function richTicket(n: number): NewTicket {
  return {
    externalId: `TEMPORAL-RESTART-${n}`,
    title: `Task Dependencies & Blocking ${n}`,
    description:
      'Deliverables:\n- Add `dependencies` JSONB field to Task model\n- Implement dependency resolution in TaskQueueService\n- Add `blocked_by` and `blocks` relationships\n- Tests: Task dependency resolution, blocking detection',
    acceptanceCriteria: [
      'Can create tasks with dependencies',
      'Tasks only assigned when dependencies complete',
      'Circular dependency detection',
      'All tests pass',
    ],
    priority: 'HIGH',
    policy: 'auto',
  };
}
const EXPECTED_TASKS = ALL_PHASE_TASKS;

/** Class, code and last line of an error, for the report. */
function describeError(error: unknown): string {
  if (!error) return 'no error';
  const { name, code, message } = error as { name?: string; code?: string | number; message?: string };
  return `${error.constructor?.name ?? name}${code !== undefined ? ` ${code}` : ''}: ${(message ?? JSON.stringify(error)).trim().split('\n').at(-1)}`;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One run of the ticket workers under the supervisor. */
interface Incarnation {
  startedAt: number;
  endedAt?: number;
  /** `shut down` after a requested shutdown, else the error it failed with. */
  outcome?: string;
}

/**
 * Keeps the ticket workers running: creates them, runs them, and if they ever end without being
 * asked to (a fatal worker error), records why and creates new ones after 1 s — what a process
 * manager (systemd, Kubernetes) does for the stand-alone worker process, inside this process.
 * Creating the workers while the server is unreachable fails; that is retried every second too.
 */
class WorkerSupervisor {
  readonly incarnations: Incarnation[] = [];
  readonly createFailures: { at: number; error: string }[] = [];
  private stopping = false;
  private current: TicketWorkers | undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly create: () => Promise<TicketWorkers>) {
    this.loop = this.supervise();
  }

  /** Resolves once the first workers run (or rejects if they could not be created within `timeoutMs`). */
  async started(timeoutMs = 30_000): Promise<void> {
    await poll(
      () => this.incarnations.length,
      (n) => n > 0,
      'the ticket workers to run',
      timeoutMs,
      20,
    );
  }

  private async supervise(): Promise<void> {
    while (!this.stopping) {
      let workers: TicketWorkers;
      try {
        workers = await this.create();
      } catch (error) {
        this.createFailures.push({ at: Date.now(), error: describeError(error) });
        await delay(1000);
        continue;
      }
      const incarnation: Incarnation = { startedAt: Date.now() };
      this.incarnations.push(incarnation);
      this.current = workers;
      const running = workers.run();
      if (this.stopping) workers.shutdown();
      try {
        await running;
        incarnation.outcome = this.stopping ? 'shut down' : 'ended without being asked to';
      } catch (error) {
        incarnation.outcome = describeError(error);
      }
      incarnation.endedAt = Date.now();
      this.current = undefined;
      if (!this.stopping) await delay(1000);
    }
  }

  /** Shuts the current workers down and waits for the supervisor to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.current?.shutdown();
    await this.loop;
  }
}

/** Warnings and errors the SDK (TypeScript and Core) logged, with their time. */
const sdkLog: { at: number; level: string; message: string }[] = [];

let dir: string;
let server: DevServer | undefined;
let db: TestDatabase | undefined;
let activities: ActivityDependencies | undefined;
let nativeConnection: NativeConnection | undefined;
let connection: Connection | undefined;
let client: Client;
let supervisor: WorkerSupervisor | undefined;
const taskQueue = `tickets-restart-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      sdkLog.push({ at: Number(entry.timestampNanos / 1_000_000n), level: entry.level, message: entry.message });
    }),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-'));
  // Both first, then assign what started, so afterAll cleans it up even if the other failed.
  const [started, database] = await Promise.allSettled([
    DevServer.start({ cli: testEnv.temporalCli(), dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') }),
    createTestDatabase(),
  ]);
  if (started.status === 'fulfilled') server = started.value;
  if (database.status === 'fulfilled') db = database.value;
  if (started.status === 'rejected') throw started.reason;
  if (database.status === 'rejected') throw database.reason;
  if (!server || !db) throw new Error('unreachable');
  nativeConnection = await NativeConnection.connect({ address: server.address });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
  activities = testActivities(db.prisma, orchestrator);
  await prepareTestRepositories(db.prisma, orchestrator);
  const dependencies = activities;
  const workerConnection = nativeConnection;
  const namespace = server.namespace;
  supervisor = new WorkerSupervisor(() =>
    createTicketWorkers({
      connection: workerConnection,
      namespace,
      taskQueue,
      activities: dependencies,
      maxConcurrentAgentTasks: 8,
      workflows: { workflowBundle: { codePath: testEnv.workflowBundle() } },
    }),
  );
  await supervisor.started();
});

afterAll(async () => {
  // The server must be up for a graceful worker shutdown; never wait for it more than 30 s.
  if (server && !server.running) await server.restart().catch(() => undefined);
  if (supervisor) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([supervisor.stop(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
  }
  await nativeConnection?.close().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await server?.stop('SIGTERM', 10_000);
  await db?.drop();
  if (activities) rmSync(activities.workspacesDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Attempts after the first of each started activity, per activity type, and the workflow tasks that timed out or failed. */
async function retries(workflowId: string): Promise<{ activities: Record<string, number>; workflowTaskTimeouts: number; workflowTaskFailures: number }> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const all = events ?? [];
  return {
    activities: activityRetries(all),
    workflowTaskTimeouts: all.filter((event) => event.workflowTaskTimedOutEventAttributes).length,
    workflowTaskFailures: all.filter((event) => event.workflowTaskFailedEventAttributes).length,
  };
}

describe('the Temporal dev server stopped and restarted on the same --db-filename in the middle of a run', () => {
  it('all tickets finish, nothing lost or duplicated', async () => {
    const prisma = db!.prisma;
    const tickets = testTicketClient(prisma, client, taskQueue, orchestrator);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let n = 1; n <= TICKETS; n++) ids.push((await tickets.create(richTicket(n))).ticket.id);

    // Mid-run: one ticket at DESIGN or later, none done, an agent task running.
    const beyondRequirements = PHASE_SEQUENCE.slice(PHASE_SEQUENCE.indexOf(Phase.DESIGN));
    const before = await poll(
      async () => ({
        rows: await prisma.ticket.findMany({ where: { id: { in: ids } }, select: { id: true, phaseId: true } }),
        running: await prisma.task.findMany({ where: { ticketId: { in: ids }, status: 'running' }, select: { ticketId: true, phaseId: true, taskType: true } }),
      }),
      ({ rows, running }) => rows.some((row) => beyondRequirements.includes(row.phaseId as Phase)) && running.length > 0,
      'a ticket at PHASE_DESIGN or later with an agent task running',
      90_000,
      25,
    );
    expect(before.rows.filter((row) => row.phaseId === Phase.DONE)).toEqual([]);
    const phasesAtStop = before.rows.map((row) => row.phaseId.replace('PHASE_', '')).sort();
    const runningAtStop = before.running.map((task) => `${task.phaseId.replace('PHASE_', '')}/${task.taskType}`).sort();

    // The outage: SIGTERM, the exit, 3 s down, the same server binary on the same file and port.
    const pidBefore = server!.pid;
    const stopAt = Date.now();
    const exit = await server!.stop('SIGTERM');
    expect(server!.running).toBe(false);
    expect(await server!.answers()).toBe(false);
    // Clients used while it is down: a describe and a new ticket (row first, then the workflow start).
    const describeWhileDown = client.workflow
      .getHandle(`ticket-${ids[0]}`)
      .describe()
      .then(
        (description) => ({ at: Date.now(), ok: description.status.name }),
        (error: unknown) => ({ at: Date.now(), ok: describeError(error) }),
      );
    const createWhileDown = tickets.create(richTicket(TICKETS + 1)).then(
      ({ ticket }) => ({ at: Date.now(), id: ticket.id, error: undefined as string | undefined }),
      (error: unknown) => ({ at: Date.now(), id: undefined, error: describeError(error) }),
    );
    await delay(DOWN_MS);
    const startupMs = await server!.restart();
    const upAt = Date.now();
    expect(server!.pid).not.toBe(pidBefore);

    // Both client calls made while it was down complete once it is back.
    const [described, createdDuringOutage] = await Promise.all([describeWhileDown, createWhileDown]);
    expect(described.ok).toBe('RUNNING');
    expect(createdDuringOutage.error).toBeUndefined();
    ids.push(createdDuringOutage.id!);

    // Every ticket finishes.
    const doneAt = new Map<string, number>();
    const finals = await poll(
      async () => {
        const rows = await prisma.ticket.findMany({ where: { id: { in: ids } } });
        for (const row of rows) if (row.phaseId === Phase.DONE && !doneAt.has(row.id)) doneAt.set(row.id, Date.now());
        return rows;
      },
      (rows) => rows.length === ids.length && rows.every((row) => row.phaseId === Phase.DONE || row.phaseId === Phase.BLOCKED || row.status === 'cancelled'),
      'every ticket to reach PHASE_DONE',
      120_000,
      100,
    );
    const allDoneAt = Date.now();
    const firstTransitionAfterRestart = await prisma.phaseHistory.findFirst({
      where: { ticketId: { in: ids }, createdAt: { gt: new Date(upAt) } },
      orderBy: { createdAt: 'asc' },
    });
    const perTicket = await Promise.all(ids.map((id) => retries(`ticket-${id}`)));
    const tasks = await prisma.task.findMany({ where: { ticketId: { in: ids } } });
    const reexecuted = tasks.filter((task) => task.attempts > 1).map((task) => `${task.taskType} ×${task.attempts}`);
    const warnings = new Map<string, number>();
    for (const entry of sdkLog) {
      const key = `${entry.level} ${entry.message.slice(0, 120)}`;
      warnings.set(key, (warnings.get(key) ?? 0) + 1);
    }
    const incarnations = supervisor!.incarnations.map(
      (inc) => `${secs(inc.startedAt - t0)}–${inc.endedAt ? secs(inc.endedAt - t0) : 'running'}${inc.outcome ? ` (${inc.outcome})` : ''}`,
    );
    console.info(
      [
        `Temporal restart: server stopped ${secs(stopAt - t0)} after the first ticket was created, tickets then in [${phasesAtStop.join(', ')}], running tasks [${runningAtStop.join(', ')}]`,
        `outage ${secs(upAt - stopAt)} (SIGTERM to exit ${secs(exit.ms)}, ${exit.how}; down ${secs(DOWN_MS)}; start-up until it answered ${secs(startupMs)}); pids ${server!.pids.join(' → ')}`,
        `after the restart: first transition ${firstTransitionAfterRestart ? secs(firstTransitionAfterRestart.createdAt.getTime() - upAt) : 'none'}, all ${ids.length} tickets done ${secs(allDoneAt - upAt)} (each: ${ids.map((id) => (doneAt.has(id) ? secs(doneAt.get(id)! - upAt) : '?')).join(', ')}), whole run ${secs(allDoneAt - t0)}`,
        `client calls made while down: describe completed ${secs(described.at - upAt)} after the restart (${described.ok}); TicketClient.create completed ${secs(createdDuringOutage.at - upAt)} after it`,
        `worker incarnations: ${incarnations.join('; ')}; failed creations: ${supervisor!.createFailures.length}`,
        `activity retries per ticket: ${JSON.stringify(perTicket.map((r) => r.activities))}; workflow task timeouts ${perTicket.map((r) => r.workflowTaskTimeouts).join('/')}, failures ${perTicket.map((r) => r.workflowTaskFailures).join('/')}; tasks executed more than once: ${reexecuted.join(', ') || 'none'}`,
        `SDK warnings/errors: ${[...warnings].map(([key, count]) => `${count}× ${key}`).join(' | ') || 'none'}`,
        `dev server log: ${
          readFileSync(path.join(dir, 'temporal.log'), 'utf8')
            .split('\n')
            .filter((line) => /error|panic/i.test(line)).length
        } lines with "error" or "panic"`,
      ].join('\n'),
    );

    // The workers survived on their own: one incarnation, never failed. (Core retries task polls
    // without limit on UNAVAILABLE, and other poll errors for 60 s; completions 10 s. The
    // supervisor is the safety net a deployment has; its restarts would be reported above.)
    expect(supervisor!.incarnations).toHaveLength(1);
    expect(supervisor!.incarnations[0]!.endedAt).toBeUndefined();

    for (const row of finals) {
      expect({ id: row.id, phase: row.phaseId, status: row.status, blockedReason: row.blockedReason, version: row.version }).toEqual({
        id: row.id,
        phase: Phase.DONE,
        status: 'done',
        blockedReason: null,
        version: 6,
      });
      const result = await client.workflow.getHandle<typeof ticketWorkflow>(row.workflowId).result();
      expect(result).toMatchObject({ phase: Phase.DONE, status: 'done', transitionCount: 6 });
    }

    const artifactLists: string[][] = [];
    for (const id of ids) {
      // Nothing lost: every transition, dense 1..6 along the sequence, and every task, completed.
      const history = await prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
      expect(history.map((row) => [row.sequence, row.fromPhase, row.toPhase])).toEqual(
        PHASE_SEQUENCE.slice(1).map((phase, index) => [index + 1, PHASE_SEQUENCE[index], phase]),
      );
      const own = tasks.filter((task) => task.ticketId === id);
      expect(own.map((task) => `${task.phaseId}/${task.taskType}`).sort()).toEqual(EXPECTED_TASKS);
      expect(own.filter((task) => task.status !== 'completed').map((task) => [task.taskType, task.status, task.error])).toEqual([]);
      // Nothing duplicated: artifacts, gate results and contexts unique per key, all of the first entry.
      const { artifacts, gates, contexts } = await expectUniqueRunRows(prisma, id);
      artifactLists.push(artifacts.map((a) => `${a.phaseId}/${a.phaseEntry}/${a.artifactType}`).sort());
      expect([...new Set(gates.filter((g) => g.gateStatus === 'passed').map((g) => g.phaseId))].sort()).toEqual(PHASE_SEQUENCE.slice(1, -1).slice().sort());
      expect(contexts.map((c) => `${c.phaseId}/${c.phaseEntry}`).sort()).toEqual(
        PHASE_SEQUENCE.slice(1, -1)
          .map((phase, index) => `${phase}/${index + 1}`)
          .sort(),
      );
    }
    // Every ticket, across the outage or not, has the same artifacts (type per phase and entry).
    for (const list of artifactLists.slice(1)) expect(list).toEqual(artifactLists[0]);
  });
});
