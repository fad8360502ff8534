/**
 * Issue 8 §1: a task waiting for a resource another task holds costs a bounded number of history
 * events, whatever the wait's length. On Temporal's time-skipping test server (6 hours of workflow
 * time pass in seconds) with stubbed activities: the ticket's only task is refused with
 * RESOURCE_BUSY for 6 hours, then runs. With the default backoff (1 s doubling to 2 min) each
 * round costs 17 events (routeTask, executeTask, a timer, and their workflow tasks) and a 6-hour
 * wait takes at most 7 + 21,600 s / 120 s = 187 rounds, so the wait adds at most
 * {@link WAIT_EVENT_BOUND} = 17 × 188 = 3,196 events (the 1 s wait it replaces added ~367,000,
 * past Temporal's 51,200-event limit after ~50 minutes).
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
/** Per ticket: workflow time (ms) of its first RESOURCE_BUSY refusal and how long its task is refused. */
const waits = new Map<string, { since?: number; waitMs: number; refusals: number }>();

// Stubs keep the activities' async signatures without awaiting anything.
/* eslint-disable @typescript-eslint/require-await */
/** Stub activities: one task in REQUIREMENTS, every gate passes, executeTask refuses while the ticket's wait lasts. */
function stubActivities(): Partial<TicketActivities> {
  const task = (ticketId: string): PlannedTask => ({ id: `task-${ticketId}`, taskType: 'analyze_requirements', priority: 'MEDIUM', status: TaskStatus.PENDING, dependencies: [], resources: ['repo:main'] });
  return {
    recordTransition: async () => ({ applied: true }),
    generateTasks: async ({ ticketId, phase }: { ticketId: string; phase: Phase }) => (phase === Phase.REQUIREMENTS ? [task(ticketId)] : []),
    routeTask: async (): Promise<AgentAssignment> => ({ name: 'stub', type: 'command', timeoutMs: 60_000, heartbeatTimeoutMs: 0, taskQueue }),
    executeTask: (async ({ taskId }: { taskId: string }) => {
      const wait = waits.get(taskId.replace(/^task-/, ''));
      const now = Context.current().info.currentAttemptScheduledTimestampMs;
      if (wait && wait.waitMs > 0) {
        wait.since ??= now;
        if (now - wait.since < wait.waitMs) {
          wait.refusals++;
          throw ApplicationFailure.create({ type: RESOURCE_BUSY, message: 'repo:main is held by another task', nonRetryable: true });
        }
      }
      return {};
    }) as unknown as TicketActivities['executeTask'],
    recordTaskOutcome: async () => undefined,
    collectArtifacts: (async () => []) as unknown as TicketActivities['collectArtifacts'],
    validateGate: (async ({ attempt }: { attempt: number }) => ({ status: 'passed', passed: true, blockingReasons: [], attempt, validation: null })) as unknown as TicketActivities['validateGate'],
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

/** Runs one ticket workflow to DONE with its task refused for `waitMs`; returns its history length. */
async function lifecycleEvents(waitMs: number): Promise<{ events: number; refusals: number; waitedMs: number }> {
  const ticketId = randomUUID();
  const wait = { waitMs, refusals: 0 } as { since?: number; waitMs: number; refusals: number };
  waits.set(ticketId, wait);
  const handle = await env.client.workflow.start('ticketWorkflow', { taskQueue, workflowId: `ticket-${ticketId}`, args: [{ ticketId, settings }] });
  const state = (await handle.result()) as { phase: Phase };
  expect(state.phase).toBe(Phase.DONE);
  const history = await handle.fetchHistory();
  const last = history.events?.at(-1)?.eventTime;
  const first = history.events?.[0]?.eventTime;
  const seconds = (t: typeof last) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  return { events: history.events?.length ?? 0, refusals: wait.refusals, waitedMs: seconds(last) - seconds(first) };
}

it(`a 6-hour resource wait adds at most ${WAIT_EVENT_BOUND} history events (17 per round, backoff 1 s → 2 min)`, async () => {
  const baseline = await lifecycleEvents(0);
  const waited = await lifecycleEvents(WAIT_MS);
  // The wait really lasted 6 hours of workflow time and was refused round after round.
  expect(waited.waitedMs).toBeGreaterThanOrEqual(WAIT_MS);
  expect(waited.refusals).toBeGreaterThan(100);
  expect(waited.events - baseline.events).toBeLessThanOrEqual(WAIT_EVENT_BOUND);
  expect(waited.events - baseline.events).toBe(EVENTS_PER_ROUND * waited.refusals);
  // Far below Temporal's limit of 51,200 events per run.
  expect(waited.events).toBeLessThan(51_200 / 10);
}, 120_000);
