/**
 * Issue 11, "Stalled tickets": the SLA watch's durable timers over long workflow time, on
 * Temporal's time-skipping test server with stubbed activities (the real stack's webhook delivery
 * and block action are in test/ticket/escalations.test.ts).
 *
 * - A 24-hour SLA on REQUIREMENTS: nothing after 23 hours, one escalation (recorded once,
 *   delivered to each webhook) just after 24 hours; the ticket keeps its phase (`escalate`).
 * - A transition restarts the timer: leaving for BLOCKED and coming back measures from the return.
 * - The entry time survives continue-as-new: a run started from a snapshot whose phase was entered
 *   23 hours earlier escalates one hour later, not 24.
 * - A webhook that keeps failing gets 10 attempts (1 s doubling to 5 minutes), then the workflow
 *   gives up on it and lives on; a `block` SLA still blocks the ticket (cause `escalation`).
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { TicketActivities } from '../../src/ticket/contracts';
import { TicketLifecycle } from '../../src/ticket/lifecycle';
import { Phase } from '../../src/ticket/phases';
import type { DeliverEscalationInput, EscalationInput, EscalationSettings } from '../../src/ticket/sla';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/platform/search-attributes';
import { DEFAULT_RESOURCE_WAIT, type TicketSettings } from '../../src/ticket/settings';
import { testEnv } from '../helpers/env';
import { eventually } from '../helpers/poll';
import { cancelTicketSignal, getStateQuery, transitionUpdate } from '../../workflows/ticket/messages';

const HOUR_MS = 60 * 60 * 1000;
const WEBHOOKS = [
  { url: 'http://127.0.0.1:9/first', secretEnv: 'FIRST_SECRET' },
  { url: 'http://127.0.0.1:9/second', secretEnv: 'SECOND_SECRET' },
];
/** A webhook whose every delivery attempt fails. */
const FAILING_WEBHOOK = { url: 'http://127.0.0.1:9/failing', secretEnv: 'FAILING_SECRET' };
const escalation: EscalationSettings = { slas: { [Phase.REQUIREMENTS]: { ms: 24 * HOUR_MS, action: 'escalate' } }, webhooks: WEBHOOKS };

const settings: TicketSettings = {
  policy: 'manual',
  maxParallelTasks: 4,
  taskRetry: { maximumAttempts: 3, initialIntervalMs: 1000, maximumIntervalMs: 30_000 },
  gateRetries: 1,
  gateRetryDelayMs: 2000,
  validationPhases: [],
  gatedPhases: [],
  continueAsNewAfterEvents: 1_000_000,
  resourceWait: DEFAULT_RESOURCE_WAIT,
  escalation,
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `sla-timers-${randomUUID()}`;

/** What the escalation stubs saw, per ticket. */
const recorded = new Map<string, EscalationInput[]>();
const delivered = new Map<string, DeliverEscalationInput[]>();

// Stubs keep the activities' async signatures without awaiting anything.
/* eslint-disable @typescript-eslint/require-await */
/** Stub activities: no tasks, every gate passes, escalations kept in memory (one row ID per phase entry). */
function stubActivities(): Partial<TicketActivities> {
  return {
    recordTransition: async () => ({ applied: true }),
    generateTasks: async () => [],
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
    recordEscalation: async (input) => {
      recorded.set(input.ticketId, [...(recorded.get(input.ticketId) ?? []), input]);
      return { id: `${input.ticketId}:${input.phaseEntry}`, deliveredTo: [] };
    },
    deliverEscalation: async (input) => {
      const ticketId = input.escalationId.split(':')[0]!;
      delivered.set(ticketId, [...(delivered.get(ticketId) ?? []), input]);
      if (input.webhook.url === FAILING_WEBHOOK.url) throw new Error('answered 503');
    },
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

/** Starts a ticket workflow (from `snapshot` when given, with `ticketSettings`) and waits until its current run is complete. */
async function startTicket(snapshot?: ReturnType<TicketLifecycle['compacted']>, ticketSettings = settings) {
  const ticketId = snapshot?.ticketId ?? randomUUID();
  const handle = await env.client.workflow.start('ticketWorkflow', {
    taskQueue,
    workflowId: `ticket-${ticketId}`,
    args: [{ ticketId, settings: ticketSettings, snapshot }],
  });
  await eventually(async () => (await handle.query(getStateQuery)).run.step === 'complete', 'the first run to complete');
  return { ticketId, handle };
}

type Handle = Awaited<ReturnType<typeof startTicket>>['handle'];

/** Moves the ticket to `toPhase` (update) and waits until the entered run is complete. */
async function moveTo(handle: Handle, toPhase: Phase) {
  const state = await handle.executeUpdate(transitionUpdate, { args: [{ toPhase, requestId: randomUUID() }] });
  if (toPhase !== Phase.BLOCKED) {
    await eventually(async () => (await handle.query(getStateQuery)).run.step === 'complete', `the ${toPhase} run to complete`);
  }
  return state;
}

/** Cancels the ticket and waits for its workflow to end. */
async function finish(handle: Handle) {
  await handle.signal(cancelTicketSignal, { reason: 'test over', requestedBy: 'test' });
  await handle.result();
}

it('a 24-hour SLA escalates once, just after 24 hours, to every webhook; the ticket keeps its phase', async () => {
  const { ticketId, handle } = await startTicket();
  const entered = await moveTo(handle, Phase.REQUIREMENTS);
  const enteredAt = entered.lastTransition!.occurredAt;
  const dueAt = new Date(Date.parse(enteredAt) + 24 * HOUR_MS).toISOString();
  // The state shows the SLA (the Web UI's getState query too).
  expect((await handle.query(getStateQuery)).sla).toEqual({
    phase: Phase.REQUIREMENTS,
    slaMs: 24 * HOUR_MS,
    action: 'escalate',
    enteredAt,
    dueAt,
    overdue: false,
  });
  await env.sleep('23 hours');
  expect(recorded.get(ticketId)).toBeUndefined();
  await env.sleep('2 hours');
  const [escalated] = await eventually(() => recorded.get(ticketId), 'the escalation to be recorded');
  expect(recorded.get(ticketId)).toHaveLength(1);
  expect(escalated).toEqual({
    ticketId,
    phase: Phase.REQUIREMENTS,
    phaseEntry: entered.transitionCount,
    kind: 'sla',
    slaMs: 24 * HOUR_MS,
    overdueMs: expect.any(Number),
    enteredAt: entered.lastTransition!.occurredAt,
  });
  // The timer fired at the deadline: the escalation is not a sleep's length late.
  expect(escalated!.overdueMs).toBeLessThan(HOUR_MS);
  const deliveries = await eventually(() => (delivered.get(ticketId)?.length === 2 ? delivered.get(ticketId) : undefined), 'both deliveries');
  expect(deliveries.map(({ webhook }) => webhook)).toEqual(expect.arrayContaining(WEBHOOKS));
  expect(new Set(deliveries.map(({ escalationId }) => escalationId))).toEqual(new Set([`${ticketId}:${entered.transitionCount}`]));
  // Escalated once per phase entry: another day in the phase adds nothing.
  await env.sleep('24 hours');
  expect(recorded.get(ticketId)).toHaveLength(1);
  expect(await handle.query(getStateQuery)).toMatchObject({ phase: Phase.REQUIREMENTS, sla: { dueAt, overdue: true } });
  await finish(handle);
}, 120_000);

it('a transition restarts the timer: back from BLOCKED, the SLA counts from the return', async () => {
  const { ticketId, handle } = await startTicket();
  await moveTo(handle, Phase.REQUIREMENTS);
  await env.sleep('20 hours');
  await moveTo(handle, Phase.BLOCKED);
  expect((await handle.query(getStateQuery)).sla).toBeNull();
  await env.sleep('10 hours');
  const back = await moveTo(handle, Phase.REQUIREMENTS);
  await env.sleep('20 hours');
  // 50 hours since the first entry, 20 since the return: no escalation (BLOCKED has no SLA here).
  expect(recorded.get(ticketId)).toBeUndefined();
  await env.sleep('5 hours');
  const [escalated] = await eventually(() => recorded.get(ticketId), 'the escalation to be recorded');
  expect(escalated).toMatchObject({ phaseEntry: back.transitionCount, enteredAt: back.lastTransition!.occurredAt });
  await finish(handle);
}, 120_000);

it('the entry time survives continue-as-new: a run whose snapshot entered 23 hours ago escalates an hour later', async () => {
  const ticketId = randomUUID();
  const lifecycle = TicketLifecycle.start(ticketId);
  const enteredAt = new Date((await env.currentTimeMs()) - 23 * HOUR_MS).toISOString();
  lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'enter', transitionedBy: 'test' }, 'update', enteredAt);
  const { handle } = await startTicket(lifecycle.compacted(50));
  await env.sleep('2 hours');
  const [escalated] = await eventually(() => recorded.get(ticketId), 'the escalation to be recorded');
  expect(escalated).toMatchObject({ phaseEntry: 1, enteredAt, slaMs: 24 * HOUR_MS });
  await finish(handle);
}, 120_000);

it('a webhook that keeps failing is tried 10 times, then given up: the ticket is blocked as configured and lives on', async () => {
  const blocking: TicketSettings = {
    ...settings,
    escalation: { slas: { [Phase.DESIGN]: { ms: 8 * HOUR_MS, action: 'block' } }, webhooks: [FAILING_WEBHOOK] },
  };
  const { ticketId, handle } = await startTicket(undefined, blocking);
  await moveTo(handle, Phase.REQUIREMENTS);
  const design = await moveTo(handle, Phase.DESIGN);
  // 8 hours, then the retries' backoff (1 s doubling to 5 minutes: about 20 minutes for 10 attempts).
  await env.sleep('9 hours');
  const state = await eventually(async () => {
    const current = await handle.query(getStateQuery);
    return current.phase === Phase.BLOCKED && current;
  }, 'the ticket to be blocked by its SLA');
  expect(state.blocked).toMatchObject({ fromPhase: Phase.DESIGN, cause: 'escalation' });
  expect(recorded.get(ticketId)).toEqual([expect.objectContaining({ phase: Phase.DESIGN, phaseEntry: design.transitionCount })]);
  await eventually(() => delivered.get(ticketId)?.length === 10, 'ten delivery attempts');
  await env.sleep('1 day');
  expect(delivered.get(ticketId)).toHaveLength(10);
  // The workflow did not fail: a person resumes the phase.
  expect((await moveTo(handle, Phase.DESIGN)).phase).toBe(Phase.DESIGN);
  await finish(handle);
}, 120_000);
