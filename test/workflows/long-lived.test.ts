/**
 * A long-lived ticket: thousands of transitions through continue-as-new, on a real dev server and
 * PostgreSQL. Every run's history stays bounded, no transition is lost or applied twice, and a
 * request ID seen before a continue-as-new is still deduplicated after it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { Phase } from '../../src/ticket/phases';
import type { ticketWorkflow } from '../../workflows';
import { HISTORY_WINDOW } from '../../workflows/ticket/ticket-workflow';
import { getPhaseHistoryQuery, getStateQuery, transitionSignal, transitionUpdate } from '../../workflows/ticket/messages';
import { poll } from '../helpers/poll';
import { useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
const TRANSITIONS = 2000;
const CHUNK = 25;
const CONTINUE_AFTER_EVENTS = 400;
/**
 * History events one signalled transition adds at most, when every step gets its own workflow
 * task (a loaded machine): the signal (1); a workflow task (3) applying it, upserting the search
 * attributes (1) and scheduling recordTransition (1); the activity (2); a workflow task (3)
 * scheduling the phase run's generateTasks (1); the activity (2); a workflow task (3).
 */
const EVENTS_PER_TRANSITION_AT_MOST = 17;

beforeAll(async () => {
  // The state machine alone: no phase work to wait for.
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
});

/** Waits until `count` transitions are applied and the workflow is idle between phase runs. */
async function waitForCount(handle: WorkflowHandle<typeof ticketWorkflow>, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await handle.query(getStateQuery);
    if (state.transitionCount >= count && state.run.step === 'complete') return;
    if (Date.now() > deadline) throw new Error(`transition ${count} not reached`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it(`keeps ${TRANSITIONS} transitions through continue-as-new with bounded histories`, async () => {
  const tickets = stack.tickets({ gatedPhases: [], validationPhases: [], continueAsNewAfterEvents: CONTINUE_AFTER_EVENTS });
  const { ticket } = await tickets.create({ title: 'A long-lived ticket', policy: 'manual' });
  const handle = stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
  for (const [i, toPhase] of [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION].entries()) {
    await handle.executeUpdate(transitionUpdate, { args: [{ toPhase, requestId: `walk-${i}` }] });
  }
  // Then back and forth between TESTING and IMPLEMENTATION, in chunks of signals.
  for (let sent = 3; sent < TRANSITIONS;) {
    const chunk = Math.min(CHUNK, TRANSITIONS - sent);
    for (let i = 0; i < chunk; i++, sent++) {
      const toPhase = sent % 2 === 1 ? Phase.TESTING : Phase.IMPLEMENTATION;
      await handle.signal(transitionSignal, { toPhase, requestId: `flip-${sent}` });
    }
    await waitForCount(handle, sent);
  }
  // A request ID from the first run, long compacted away, is still applied once.
  const repeated = await handle.executeUpdate(transitionUpdate, { args: [{ toPhase: Phase.DESIGN, requestId: 'walk-1' }] });
  expect(repeated.transitionCount).toBe(TRANSITIONS);
  await handle.signal(transitionSignal, { toPhase: Phase.TESTING, requestId: 'flip-5' });

  const state = await handle.query(getStateQuery);
  expect(state).toMatchObject({ phase: Phase.TESTING, transitionCount: TRANSITIONS, rejectedCount: 0 });
  // The run keeps the latest HISTORY_WINDOW transitions carried over plus those since it began, contiguous up to the last.
  const window = await handle.query(getPhaseHistoryQuery);
  expect(window.length).toBeGreaterThanOrEqual(HISTORY_WINDOW);
  expect(window.length).toBeLessThan(TRANSITIONS);
  expect(window.map((record) => record.sequence)).toEqual(Array.from({ length: window.length }, (_, i) => TRANSITIONS - window.length + 1 + i));

  // A signalled transition is persisted by its own activity after it is applied: wait for the last one's row.
  const rows = await poll(
    () => stack.db.prisma.phaseHistory.findMany({ where: { ticketId: ticket.id }, orderBy: { sequence: 'asc' }, select: { sequence: true, requestId: true } }),
    (found) => found.length >= TRANSITIONS,
    () => `${TRANSITIONS} phase_history rows`,
  );
  expect(rows).toHaveLength(TRANSITIONS);
  expect(rows.every((row, i) => row.sequence === i + 1)).toBe(true);
  expect((await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).version).toBe(TRANSITIONS);

  const runs: { runId: string; historyLength: number }[] = [];
  for await (const execution of stack.env.client.workflow.list({ query: `WorkflowId = "${ticket.workflowId}"` })) {
    runs.push({ runId: execution.runId, historyLength: execution.historyLength });
  }
  console.log(`${TRANSITIONS} transitions in ${runs.length} runs; longest run history ${Math.max(...runs.map((r) => r.historyLength))} events`);
  expect(runs.length).toBeGreaterThan(5);
  // Bounded: the threshold plus the events of the chunk of signals in flight when it was crossed.
  expect(Math.max(...runs.map((run) => run.historyLength))).toBeLessThanOrEqual(CONTINUE_AFTER_EVENTS + EVENTS_PER_TRANSITION_AT_MOST * CHUNK);
}, 300_000);
