/**
 * Per-task timeouts (seed 004, milestone 1.4), on a real dev server: a template's timeoutSeconds
 * bounds each execution of its tasks; a task that keeps running past it is stopped, retried, and
 * the ticket is blocked with the timeout as its reason.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Phase } from '../../src/ticket/phases';
import type { ticketWorkflow } from '../../workflows';
import { getStateQuery } from '../../workflows/ticket/messages';
import { eventually, isAlive } from '../helpers/poll';
import { useTicketStack } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';
import { faultBackend, fixtureConfig } from '../helpers/agents';

// The agent's own limit is ten minutes; the template's one second must win.
const config = fixtureConfig(faultBackend('hanging-agent', 'hang', ['analysis'], { timeoutMs: 600_000 }));
const stack = useTicketStack(config);

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ where: { taskType: 'analyze_requirements' }, data: { timeoutSeconds: 1 } });
});

it('stops each execution at the task timeout, retries it, then blocks the ticket with the reason', async () => {
  const tickets = stack.tickets({ taskRetry: { maximumAttempts: 2, initialIntervalMs: 100, maximumIntervalMs: 100 } });
  const { ticket } = await tickets.create({ ...RICH_TICKET, policy: 'manual' });
  await tickets.transition(ticket.id, { toPhase: Phase.REQUIREMENTS, requestId: 'go' });
  const handle = stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
  const blocked = await eventually(async () => {
    const state = await handle.query(getStateQuery);
    return state.phase === Phase.BLOCKED && state;
  }, 'the ticket to be blocked');
  expect(blocked.blocked?.reason).toBe('task analyze_requirements failed: START_TO_CLOSE timeout (retries exhausted after 2 attempts)');
  const task = await stack.db.prisma.task.findFirstOrThrow({ where: { ticketId: ticket.id, taskType: 'analyze_requirements' } });
  expect(task).toMatchObject({ status: 'failed', attempts: 2, timeoutSeconds: 1 });

  const { events } = await handle.fetchHistory();
  const executions = (events ?? []).filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'executeTask');
  expect(executions.map((event) => Number(event.activityTaskScheduledEventAttributes!.startToCloseTimeout!.seconds))).toEqual([1, 1]);
  // The last timed-out agent process (its pid file is rewritten by each execution) was stopped.
  const pid = Number(readFileSync(path.join(stack.workspacesDir, ticket.id, 'analyze_requirements.pid'), 'utf8'));
  await eventually(() => !isAlive(pid), 'the timed-out agent to be stopped', 10_000);
});
