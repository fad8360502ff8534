/**
 * Cancelling a ticket (API signal or Temporal cancellation) and cancelling one task, on a real
 * dev server with real agent processes: the agent is stopped, the rows say why, and a cancelled
 * ticket is final.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Phase } from '../../src/ticket/phases';
import { TaskClient } from '../../src/phase-work/task-client';
import { InvalidTransitionError, TicketNotActiveError, type TicketClient } from '../../src/ticket/client';
import type { ticketWorkflow } from '../../workflows';
import { getStateQuery, type TicketWorkflowState } from '../../workflows/ticket/messages';
import { useTicketStack } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';
import { eventually, isAlive } from '../helpers/poll';
import { hangThenReference } from '../helpers/agents';

const config = hangThenReference();
const stack = useTicketStack(config);
let tickets: TicketClient;

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ where: { taskType: 'analyze_requirements' }, data: { requiredCapabilities: ['hang'] } });
  tickets = stack.tickets({ taskRetry: { maximumAttempts: 1, initialIntervalMs: 100, maximumIntervalMs: 100 } });
});

/** Starts an auto ticket and waits until its hanging agent runs; returns the agent's pid. */
async function startHanging(title: string): Promise<{ id: string; handle: WorkflowHandle<typeof ticketWorkflow>; pid: number }> {
  const { ticket } = await tickets.create({ ...RICH_TICKET, title });
  const handle = stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
  const pidFile = path.join(stack.workspacesDir, ticket.id, 'analyze_requirements.pid');
  const pid = await eventually(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined), 'the agent to start');
  expect(isAlive(pid)).toBe(true);
  return { id: ticket.id, handle, pid };
}

describe('cancellation', () => {
  it('cancels a ticket: the agent process is stopped, the ticket is cancelled for good with its reason', async () => {
    const { id, handle, pid } = await startHanging('Cancel me');
    await tickets.cancel(id, 'superseded by another ticket', 'alice');
    const final: TicketWorkflowState = await handle.result();
    expect(final).toMatchObject({
      phase: Phase.REQUIREMENTS,
      status: 'cancelled',
      cancelled: { reason: 'superseded by another ticket', requestedBy: 'alice' },
    });
    await eventually(() => !isAlive(pid), 'the agent process to exit');
    const ticket = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
    expect(ticket).toMatchObject({ status: 'cancelled', cancelReason: 'superseded by another ticket (by alice)' });
    const tasks = await stack.db.prisma.task.findMany({ where: { ticketId: id } });
    expect(tasks.find((task) => task.taskType === 'analyze_requirements')).toMatchObject({ status: 'cancelled' });
    expect(tasks.every((task) => task.status !== 'running' && task.status !== 'pending')).toBe(true);
    expect(existsSync(path.join(stack.workspacesDir, id))).toBe(false);
    await expect(tickets.cancel(id, 'again', 'bob')).rejects.toBeInstanceOf(TicketNotActiveError);
    await expect(tickets.transition(id, { toPhase: Phase.DESIGN, requestId: 'late' })).rejects.toBeInstanceOf(InvalidTransitionError);
  });

  it('treats a Temporal cancellation request (Web UI "Cancel") as cancelling the ticket', async () => {
    const { id, handle, pid } = await startHanging('Cancel me from Temporal');
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await eventually(() => !isAlive(pid), 'the agent process to exit');
    expect(await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'cancelled',
      cancelReason: 'cancellation requested through Temporal (by temporal)',
    });
  });

  it('cancels one task: its agent stops and the ticket is blocked with the reason until a transition resumes it', async () => {
    const { id, handle, pid } = await startHanging('Cancel my task');
    const work = new TaskClient(stack.db.prisma, stack.env.client, tickets);
    const task = await stack.db.prisma.task.findFirstOrThrow({ where: { ticketId: id, taskType: 'analyze_requirements' } });
    await work.cancelTask(task.id, 'wrong approach');
    const blocked = await eventually(async () => {
      const state = await handle.query(getStateQuery);
      return state.phase === Phase.BLOCKED ? state : undefined;
    }, 'the ticket to be blocked');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'task', reason: 'task analyze_requirements cancelled: wrong approach' });
    await eventually(() => !isAlive(pid), 'the agent process to exit');
    expect(await stack.db.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({
      status: 'cancelled',
      error: 'task analyze_requirements cancelled: wrong approach',
    });
    await expect(work.cancelTask(task.id, 'again')).rejects.toMatchObject({ code: 'TASK_NOT_CANCELLABLE' });

    // Route the task to the reference agent and resume: the same run re-runs the cancelled task.
    await stack.db.prisma.taskTemplate.updateMany({ where: { taskType: 'analyze_requirements' }, data: { requiredCapabilities: ['analysis'] } });
    await tickets.transition(id, { toPhase: Phase.REQUIREMENTS, requestId: 'resume' });
    expect((await handle.result()).phase).toBe(Phase.DONE);
    expect(await stack.db.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: 'completed', phaseEntry: 1 });
    await stack.db.prisma.taskTemplate.updateMany({ where: { taskType: 'analyze_requirements' }, data: { requiredCapabilities: ['hang'] } });
  });
});
