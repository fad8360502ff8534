/**
 * The ticket workflow's state machine on a real Temporal dev server with a real worker and
 * PostgreSQL: transitions, queries, deduplication, search attributes. Phase work is out of the way
 * here (no active task templates, no gated phases, manual policy); test/workflows/phase-work.test.ts
 * covers it.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import { INVALID_TRANSITION } from '../../src/ticket/transition';
import type { TicketClient } from '../../src/ticket/client';
import type { ticketWorkflow } from '../../workflows';
import { getPhaseHistoryQuery, getStateQuery, getValidTransitionsQuery, transitionSignal, transitionUpdate } from '../../workflows/ticket/messages';
import { useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let tickets: TicketClient;

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  tickets = stack.tickets({ gatedPhases: [], validationPhases: [] });
});

async function newTicket(title = 'A ticket'): Promise<{ id: string; handle: WorkflowHandle<typeof ticketWorkflow> }> {
  const { ticket } = await tickets.create({ title, priority: 'HIGH', policy: 'manual' });
  return { id: ticket.id, handle: stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId) };
}

const move = (handle: WorkflowHandle<typeof ticketWorkflow>, toPhase: Phase, requestId = randomUUID()) =>
  handle.executeUpdate(transitionUpdate, { args: [{ toPhase, requestId, reason: `to ${toPhase}`, transitionedBy: 'test' }] });

async function updateFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('ticketWorkflow', () => {
  it('walks the whole sequence to PHASE_DONE, persisting every transition, then completes', async () => {
    const { id, handle } = await newTicket();
    for (const phase of PHASE_SEQUENCE.slice(1)) {
      const state = await move(handle, phase);
      expect(state.phase).toBe(phase);
    }
    const result = await handle.result();
    expect(result).toMatchObject({ phase: Phase.DONE, status: 'done', transitionCount: 6 });

    const rows = await stack.db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(rows.map((row) => [row.sequence, row.fromPhase, row.toPhase])).toEqual(PHASE_SEQUENCE.slice(1).map((to, i) => [i + 1, PHASE_SEQUENCE[i], to]));
    expect(rows.every((row) => row.transitionedBy === 'test' && row.transitionReason === `to ${row.toPhase}`)).toBe(true);
    const ticket = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
    expect(ticket).toMatchObject({ phaseId: Phase.DONE, previousPhaseId: Phase.DEPLOYMENT, status: 'done', version: 6 });
  });

  it('answers queries for state, valid transitions and history', async () => {
    const { handle } = await newTicket();
    await move(handle, Phase.REQUIREMENTS, 'q-1-0-0-0');
    expect(await handle.query(getStateQuery)).toMatchObject({
      phase: Phase.REQUIREMENTS,
      previousPhase: Phase.BACKLOG,
      status: 'in_progress',
      transitionCount: 1,
      rejectedCount: 0,
    });
    expect(await handle.query(getValidTransitionsQuery)).toEqual([Phase.DESIGN, Phase.BLOCKED]);
    const history = await handle.query(getPhaseHistoryQuery);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ sequence: 1, requestId: 'q-1-0-0-0', fromPhase: Phase.BACKLOG, toPhase: Phase.REQUIREMENTS });
  });

  it('refuses an invalid update with the reason and valid targets, records it, and keeps that answer for its request ID', async () => {
    const { id, handle } = await newTicket();
    const failure = await updateFailure(move(handle, Phase.DESIGN, 'early-0-0-0-design'));
    expect(failure.type).toBe(INVALID_TRANSITION);
    expect(failure.message).toContain('PHASE_BACKLOG cannot move to PHASE_DESIGN');
    expect(failure.details?.[0]).toEqual({ fromPhase: Phase.BACKLOG, toPhase: Phase.DESIGN, validTransitions: [Phase.REQUIREMENTS], blockingReasons: [] });
    expect(await handle.query(getStateQuery)).toMatchObject({ phase: Phase.BACKLOG, transitionCount: 0, rejectedCount: 1 });
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: id } })).toBe(0);
    // Once DESIGN would be valid, the same request ID still gets its first answer.
    await move(handle, Phase.REQUIREMENTS);
    expect((await updateFailure(move(handle, Phase.DESIGN, 'early-0-0-0-design'))).type).toBe(INVALID_TRANSITION);
    expect(await handle.query(getStateQuery)).toMatchObject({ phase: Phase.REQUIREMENTS, transitionCount: 1, rejectedCount: 1 });
  });

  it('records an invalid signal as a rejection and keeps running', async () => {
    const { handle } = await newTicket();
    await handle.signal(transitionSignal, { toPhase: Phase.DONE, requestId: 'bad-1' });
    // A payload typed by hand into the Web UI: no request ID, unknown phase.
    await handle.signal(transitionSignal, { toPhase: 'PHASE_NOWHERE' } as never);
    await handle.signal(transitionSignal, { toPhase: Phase.REQUIREMENTS, requestId: 'good-1' });
    const state = await handle.query(getStateQuery);
    expect(state).toMatchObject({ phase: Phase.REQUIREMENTS, transitionCount: 1, rejectedCount: 2 });
    expect(state.lastRejection).toMatchObject({ via: 'signal', toPhase: 'PHASE_NOWHERE', validTransitions: [Phase.REQUIREMENTS] });
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('applies the same request ID once, whether it comes by update or signal', async () => {
    const { id, handle } = await newTicket();
    const first = await move(handle, Phase.REQUIREMENTS, 'once-0-0-0-0');
    const second = await move(handle, Phase.REQUIREMENTS, 'once-0-0-0-0');
    await handle.signal(transitionSignal, { toPhase: Phase.REQUIREMENTS, requestId: 'once-0-0-0-0' });
    expect(second.transitionCount).toBe(1);
    expect(first.lastTransition).toEqual(second.lastTransition);
    const state = await handle.query(getStateQuery);
    expect(state).toMatchObject({ transitionCount: 1, rejectedCount: 0 });
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: id } })).toBe(1);
  });

  it('accepts exactly one of many concurrent transitions to the same phase', async () => {
    const { id, handle } = await newTicket();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => move(handle, Phase.REQUIREMENTS)));
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(accepted).toHaveLength(1);
    expect(rejected).toHaveLength(19);
    for (const r of rejected) expect(((r.reason as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(INVALID_TRANSITION);
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: id } })).toBe(1);
  });

  it('supports the detours: TESTING back to IMPLEMENTATION, and BLOCKED back to DESIGN', async () => {
    const { id, handle } = await newTicket();
    const path = [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING, Phase.IMPLEMENTATION, Phase.BLOCKED, Phase.DESIGN];
    for (const phase of path) await move(handle, phase);
    const state = await handle.query(getStateQuery);
    expect(state).toMatchObject({ phase: Phase.DESIGN, previousPhase: Phase.BLOCKED, transitionCount: path.length });
    const ticket = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
    expect(ticket).toMatchObject({ phaseId: Phase.DESIGN, previousPhaseId: Phase.BLOCKED, version: path.length });
  });

  it('upserts the TicketPhase and TicketStatus search attributes so the ticket can be found by them', async () => {
    const { handle } = await newTicket();
    for (const phase of [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING]) await move(handle, phase);
    const query = `TicketPhase = "${Phase.TESTING}" AND TicketStatus = "in_progress" AND TicketPriority = "HIGH" AND WorkflowId = "${handle.workflowId}"`;
    let found: string[] = [];
    for (let attempt = 0; attempt < 50 && found.length === 0; attempt++) {
      found = [];
      for await (const execution of stack.env.client.workflow.list({ query })) found.push(execution.workflowId);
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(found).toEqual([handle.workflowId]);
    const description = await handle.describe();
    expect(description.memo).toMatchObject({ title: 'A ticket' });
  });
});
