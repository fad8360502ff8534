/**
 * Issue 8 §1: a task waiting for a resource another task holds costs a bounded number of history
 * events, whatever the wait's length. On Temporal's time-skipping test server (hours of workflow
 * time pass in seconds) with stubbed activities: a ticket's REQUIREMENTS tasks are refused with
 * RESOURCE_BUSY for hours, then run.
 *
 * - Backoff: with the default (1 s doubling to 2 min) each round costs 17 events (routeTask,
 *   executeTask, a timer, and their workflow tasks) and a 6-hour wait takes at most
 *   7 + 21,600 s / 120 s = 187 rounds, so the wait adds at most {@link WAIT_EVENT_BOUND} =
 *   17 × 188 = 3,196 events (the 1 s wait it replaced added ~367,000, past Temporal's
 *   51,200-event limit after ~50 minutes).
 * - Continue-as-new inside the phase run: with `continueAsNewAfterEvents` {@link CONTINUE_AFTER_EVENTS},
 *   once the history passes it while every running task waits, the waits stop (no task outcome
 *   recorded), the ticket continues as new and the new run resumes the phase run. Every run that
 *   continued as new holds at most the threshold, one wait round of each waiting task and its two
 *   closing events ({@link continuedRunBound}); the last run adds the rest of the lifecycle. So a
 *   wait of any length stays bounded per run (shown for 6 and 48 hours), and a task cancelled
 *   after the wait continued as new is cancelled in the new run.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { TicketActivities } from '../../src/ticket/contracts';
import { Phase } from '../../src/ticket/phases';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/platform/search-attributes';
import { RESOURCE_BUSY, TaskStatus, type AgentAssignment, type PlannedTask } from '../../src/phase-work/tasks';
import { DEFAULT_RESOURCE_WAIT, type TicketSettings } from '../../src/ticket/settings';
import { testEnv } from '../helpers/env';
import { eventually } from '../helpers/poll';
import { cancelTaskSignal, cancelTicketSignal, getStateQuery } from '../../workflows/ticket/messages';

/** The wait the test imposes, ms of workflow time. */
const WAIT_MS = 6 * 60 * 60 * 1000;
/**
 * History events one busy round costs: routeTask and executeTask (scheduled, started, completed or
 * failed: 3 each), the timer (started, fired: 2) and the three workflow tasks they end (3 each).
 */
const EVENTS_PER_ROUND = 17;
/** Rounds of a {@link WAIT_MS} wait with the default backoff: doubling rounds up to the cap, then one per cap, plus one. */
const ROUNDS = Math.ceil(Math.log2(DEFAULT_RESOURCE_WAIT.maxMs / DEFAULT_RESOURCE_WAIT.initialMs)) + 1 + Math.ceil(WAIT_MS / DEFAULT_RESOURCE_WAIT.maxMs);
/** The stated bound: events a 6-hour resource wait may add to a ticket's history. */
const WAIT_EVENT_BOUND = EVENTS_PER_ROUND * ROUNDS;

/** Threshold of the continue-as-new tests, events: far below the events of the waits they impose. */
const CONTINUE_AFTER_EVENTS = 500;
/**
 * The stated bound of a run that continued as new during a wait of `waitingTasks` parallel tasks:
 * the threshold, one wait round of each waiting task (the last check below the threshold is at
 * most one round before the one above it), and the run's closing WorkflowTaskCompleted and
 * WorkflowExecutionContinuedAsNew.
 */
const continuedRunBound = (waitingTasks: number) => CONTINUE_AFTER_EVENTS + waitingTasks * EVENTS_PER_ROUND + 2;
const HOUR_MS = 60 * 60 * 1000;

const settings: TicketSettings = {
  policy: 'auto',
  maxParallelTasks: 4,
  taskRetry: { maximumAttempts: 3, initialIntervalMs: 1000, maximumIntervalMs: 30_000 },
  gateRetries: 1,
  gateRetryDelayMs: 2000,
  validationPhases: [],
  gatedPhases: [],
  continueAsNewAfterEvents: 1_000_000,
  resourceWait: DEFAULT_RESOURCE_WAIT,
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `resource-wait-${randomUUID()}`;

/** What the stubs do for one ticket, and what they saw. */
interface Script {
  /** REQUIREMENTS tasks of the ticket, all declaring `repo:main`. */
  tasks: number;
  /** How long its tasks are refused, ms of workflow time from the first refusal. */
  waitMs: number;
  /** Workflow time (ms) of the first RESOURCE_BUSY refusal. */
  since?: number;
  refusals: number;
  /** Successful executions, per task ID. */
  successes: Map<string, number>;
  /** Task outcomes recorded (failed or cancelled): none expected. */
  outcomes: { taskId: string; status: string }[];
  /** generateTasks calls for REQUIREMENTS: one per workflow run that works the phase run. */
  requirementsPlans: number;
}
const scripts = new Map<string, Script>();
/** Task IDs are `<ticketId>/<n>`. */
const scriptOf = (taskId: string) => scripts.get(taskId.split('/')[0] ?? '');

// Stubs keep the activities' async signatures without awaiting anything.
/* eslint-disable @typescript-eslint/require-await */
/** Stub activities: the ticket's tasks in REQUIREMENTS, every gate passes, executeTask refuses while the ticket's wait lasts. */
function stubActivities(): Partial<TicketActivities> {
  const task = (ticketId: string, n: number): PlannedTask => ({
    id: `${ticketId}/${n}`,
    taskType: `analyze_requirements_${n}`,
    priority: 'MEDIUM',
    status: TaskStatus.PENDING,
    dependencies: [],
    resources: ['repo:main'],
  });
  return {
    recordTransition: async () => ({ applied: true }),
    generateTasks: async ({ ticketId, phase }: { ticketId: string; phase: Phase }) => {
      const script = scripts.get(ticketId);
      if (phase !== Phase.REQUIREMENTS || !script) return [];
      script.requirementsPlans++;
      return Array.from({ length: script.tasks }, (_, n) => task(ticketId, n));
    },
    routeTask: async (): Promise<AgentAssignment> => ({ name: 'stub', type: 'command', timeoutMs: 60_000, heartbeatTimeoutMs: 0, taskQueue }),
    executeTask: (async ({ taskId }: { taskId: string }) => {
      const script = scriptOf(taskId);
      const now = Context.current().info.currentAttemptScheduledTimestampMs;
      if (script && script.waitMs > 0) {
        script.since ??= now;
        if (now - script.since < script.waitMs) {
          script.refusals++;
          throw ApplicationFailure.create({ type: RESOURCE_BUSY, message: 'repo:main is held by another task', nonRetryable: true });
        }
      }
      script?.successes.set(taskId, (script.successes.get(taskId) ?? 0) + 1);
      return {};
    }) as unknown as TicketActivities['executeTask'],
    recordTaskOutcome: async ({ taskId, status }) => {
      scriptOf(taskId)?.outcomes.push({ taskId, status });
    },
    recordCancellation: async () => undefined,
    collectArtifacts: (async () => []) as unknown as TicketActivities['collectArtifacts'],
    validateGate: (async ({ attempt }: { attempt: number }) => ({
      status: 'passed',
      passed: true,
      blockingReasons: [],
      attempt,
      validation: null,
    })) as unknown as TicketActivities['validateGate'],
    updateContext: (async () => undefined) as unknown as TicketActivities['updateContext'],
  };
}
/* eslint-enable @typescript-eslint/require-await */

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv.temporalTestServer() } } });
  // The test server implements AddSearchAttributes only (no listing).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(TICKET_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv.workflowBundle() },
    activities: stubActivities(),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
});

/** An event time in ms. */
const ms = (t: temporal.api.history.v1.IHistoryEvent['eventTime']) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** One workflow run of a ticket. */
interface RunSummary {
  events: number;
  /** Workflow time (ms) of its WorkflowExecutionContinuedAsNew event; undefined for the last run. */
  continuedAtMs?: number;
  /** Timers started and neither fired nor cancelled. */
  timersLeft: number;
}

/** Starts a ticket workflow whose `tasks` REQUIREMENTS tasks are refused for `waitMs`. */
async function startTicket(waitMs: number, ticketSettings: TicketSettings, tasks: number) {
  const ticketId = randomUUID();
  const script: Script = { tasks, waitMs, refusals: 0, successes: new Map(), outcomes: [], requirementsPlans: 0 };
  scripts.set(ticketId, script);
  const handle = await env.client.workflow.start('ticketWorkflow', {
    taskQueue,
    workflowId: `ticket-${ticketId}`,
    args: [{ ticketId, settings: ticketSettings }],
  });
  return { ticketId, script, handle };
}

/**
 * Runs one ticket workflow to DONE with its `tasks` REQUIREMENTS tasks refused for `waitMs`,
 * following its chain of runs.
 *
 * @returns each run's summary, the total events, and the workflow time from the first run's first event to the last run's last, ms
 */
async function runTicket(
  waitMs: number,
  ticketSettings = settings,
  tasks = 1,
): Promise<{
  runs: RunSummary[];
  events: number;
  waitedMs: number;
  script: Script;
  histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[];
}> {
  const { script, handle } = await startTicket(waitMs, ticketSettings, tasks);
  const { workflowId } = handle;
  const state = (await handle.result()) as { phase: Phase };
  expect(state.phase).toBe(Phase.DONE);
  const runs: RunSummary[] = [];
  const histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[] = [];
  let first: number | undefined;
  let last = 0;
  for (let runId: string | undefined = handle.firstExecutionRunId; runId;) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push({ workflowId, history });
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    first ??= ms(events[0]?.eventTime);
    last = ms(events.at(-1)?.eventTime);
    const continued = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    const count = (has: (event: temporal.api.history.v1.IHistoryEvent) => unknown) => events.filter(has).length;
    runs.push({
      events: events.length,
      continuedAtMs: continued ? last : undefined,
      timersLeft: count((e) => e.timerStartedEventAttributes) - count((e) => e.timerFiredEventAttributes) - count((e) => e.timerCanceledEventAttributes),
    });
    runId = continued?.newExecutionRunId ?? undefined;
  }
  return { runs, events: runs.reduce((sum, run) => sum + run.events, 0), waitedMs: last - (first ?? 0), script, histories };
}

it(`a 6-hour resource wait adds at most ${WAIT_EVENT_BOUND} history events (17 per round, backoff 1 s → 2 min)`, async () => {
  const baseline = await runTicket(0);
  const waited = await runTicket(WAIT_MS);
  // Below the threshold of 1,000,000 events the wait stays in one run.
  expect(waited.runs).toHaveLength(1);
  // The wait really lasted 6 hours of workflow time and was refused round after round.
  expect(waited.waitedMs).toBeGreaterThanOrEqual(WAIT_MS);
  expect(waited.script.refusals).toBeGreaterThan(100);
  expect(waited.events - baseline.events).toBeLessThanOrEqual(WAIT_EVENT_BOUND);
  expect(waited.events - baseline.events).toBe(EVENTS_PER_ROUND * waited.script.refusals);
  // Far below Temporal's limit of 51,200 events per run.
  expect(waited.events).toBeLessThan(51_200 / 10);
}, 120_000);

it.each([
  { hours: 6, tasks: 1 },
  { hours: 48, tasks: 2 },
])(
  `a $hours-hour wait of $tasks task(s) continues as new inside the phase run: every run stays within the threshold (${CONTINUE_AFTER_EVENTS}) plus one round`,
  async ({ hours, tasks }) => {
    const waitMs = hours * HOUR_MS;
    const canSettings = { ...settings, continueAsNewAfterEvents: CONTINUE_AFTER_EVENTS };
    const baseline = await runTicket(0, canSettings, tasks);
    expect(baseline.runs).toHaveLength(1);
    const waited = await runTicket(waitMs, canSettings, tasks);
    const { script } = waited;
    const since = script.since ?? 0;
    const continued = waited.runs.filter((run) => run.continuedAtMs !== undefined);
    console.log(
      `${hours} h wait of ${tasks} task(s): ${script.refusals} refusals, ${waited.events} events in ${waited.runs.length} runs, ` +
        `longest continued run ${Math.max(...continued.map((run) => run.events))} (bound ${continuedRunBound(tasks)}), last run ${waited.runs.at(-1)?.events} (bound ${continuedRunBound(tasks) + baseline.events})`,
    );

    // The wait lasted the configured workflow time, refused round after round.
    expect(waited.waitedMs).toBeGreaterThanOrEqual(waitMs);
    expect(script.refusals).toBeGreaterThan(100);
    // Without continue-as-new its events would not fit in one run under the threshold many times over.
    expect(EVENTS_PER_ROUND * script.refusals).toBeGreaterThan(5 * CONTINUE_AFTER_EVENTS);
    // It continued as new during the wait, each new run resuming the phase run (generateTasks again).
    const duringWait = continued.filter((run) => (run.continuedAtMs ?? 0) > since && (run.continuedAtMs ?? 0) < since + waitMs);
    expect(duringWait.length).toBeGreaterThanOrEqual(Math.floor((EVENTS_PER_ROUND * script.refusals) / continuedRunBound(tasks)));
    expect(duringWait.length).toBeGreaterThanOrEqual(1);
    expect(script.requirementsPlans).toBe(continued.length + 1);
    // Every run stays bounded: the ones that continued as new by the stated bound, with no timer
    // left behind; the last one by the bound plus the rest of the lifecycle.
    for (const run of continued) {
      expect(run.events).toBeLessThanOrEqual(continuedRunBound(tasks));
      expect(run.timersLeft).toBe(0);
    }
    expect(waited.runs.at(-1)?.events).toBeLessThanOrEqual(continuedRunBound(tasks) + baseline.events);
    // After the wait the phase completed: each task ran exactly once, successfully, and no task
    // outcome (failed or cancelled) was ever recorded: the stopped waits left their tasks pending.
    expect([...script.successes.values()]).toEqual(Array.from({ length: tasks }, () => 1));
    expect(script.outcomes).toEqual([]);
    // The suspensions are deterministic: the first runs replay on the workflow code that recorded them.
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: testEnv.workflowBundle() } }, waited.histories.slice(0, 4))) {
      if (result.error) failures.push(result.error.message);
    }
    expect(failures).toEqual([]);
  },
  300_000,
);

it('a task cancelled after its wait continued as new is cancelled in the new run: the request is not lost', async () => {
  const { ticketId, script, handle } = await startTicket(6 * HOUR_MS, { ...settings, continueAsNewAfterEvents: CONTINUE_AFTER_EVENTS }, 1);
  const taskId = `${ticketId}/0`;
  // Two hours of waiting: more than one run's worth of events.
  await env.sleep('2 hours');
  expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
  await handle.signal(cancelTaskSignal, { taskId, reason: 'no longer needed' });
  const state = await eventually(async () => {
    const current = await handle.query(getStateQuery);
    return current.phase === Phase.BLOCKED && current;
  }, 'the ticket to be blocked by the cancelled task');
  expect(state.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'task' });
  expect(state.blocked?.reason).toContain('cancelled: no longer needed');
  expect(script.outcomes).toEqual([{ taskId, status: 'cancelled' }]);
  expect(script.successes.size).toBe(0);
  await handle.signal(cancelTicketSignal, { reason: 'test over', requestedBy: 'test' });
  expect(await handle.result()).toMatchObject({ status: 'cancelled' });
}, 120_000);
