/**
 * Resource locks (seed 004 milestone 3.3, conflict detection), on a real dev server and PostgreSQL:
 * tasks declaring the same resource never run at the same time, across tickets; cancelling the
 * holder releases the lock, and a lock whose holder crashed (its lease ran out) is taken over. A
 * waiter whose history grows long continues as new inside its phase run, its task still pending
 * (issue 8 §1; the history bound itself is proven in resource-wait-history.test.ts).
 */
import { Phase } from '../../src/ticket/phases';
import { useTicketStack } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { hangThenReference } from '../helpers/agents';
import { getStateQuery } from '../../workflows/ticket/messages';

const config = hangThenReference();
const stack = useTicketStack(config);

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({
    where: { taskType: 'analyze_requirements' },
    data: { requiredCapabilities: ['hang'], resources: ['repo:shared'] },
  });
});

const analyze = (ticketId: string) => stack.db.prisma.task.findFirst({ where: { ticketId, taskType: 'analyze_requirements' } });
const running = (ticketId: string, what: string) =>
  eventually(async () => {
    const task = await analyze(ticketId);
    return task?.status === 'running' ? task : undefined;
  }, what);

it('runs tasks that share a resource one at a time across tickets, and cancelling the holder frees it', async () => {
  const tickets = stack.tickets();
  const a = (await tickets.create({ title: 'Holder', policy: 'manual' })).ticket;
  await tickets.transition(a.id, { toPhase: Phase.REQUIREMENTS, requestId: 'a' });
  const held = await running(a.id, 'the holder to run');
  expect(await stack.db.prisma.resourceLock.findUnique({ where: { resource: 'repo:shared' } })).toMatchObject({ taskId: held.id });

  const b = (await tickets.create({ title: 'Waiter', policy: 'manual' })).ticket;
  await tickets.transition(b.id, { toPhase: Phase.REQUIREMENTS, requestId: 'b' });
  // B's task waits for the resource: it never starts (no execution counted) while A holds it.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect(await analyze(b.id)).toMatchObject({ status: 'pending', attempts: 0 });

  await tickets.cancel(a.id, 'free the repository', 'test');
  const waiter = await running(b.id, 'the waiter to run');
  expect(await stack.db.prisma.resourceLock.findUnique({ where: { resource: 'repo:shared' } })).toMatchObject({ taskId: waiter.id });
  await tickets.cancel(b.id, 'test over', 'test');
  await eventually(async () => (await stack.db.prisma.resourceLock.count()) === 0, 'every lock to be released');
});

it('takes over a lock whose holder crashed once its lease ran out', async () => {
  const crashed = '00000000-0000-4000-8000-000000000001';
  await stack.db.prisma.resourceLock.create({ data: { resource: 'repo:shared', taskId: crashed, expiresAt: new Date(Date.now() + 2000) } });
  const tickets = stack.tickets();
  const c = (await tickets.create({ title: 'After a crash', policy: 'manual' })).ticket;
  await tickets.transition(c.id, { toPhase: Phase.REQUIREMENTS, requestId: 'c' });
  const task = await running(c.id, 'the task to take the lock over');
  expect(await stack.db.prisma.resourceLock.findUnique({ where: { resource: 'repo:shared' } })).toMatchObject({ taskId: task.id });
  await tickets.cancel(c.id, 'test over', 'test');
});

it('continues a long wait as new inside the phase run, the waiting task left pending (never cancelled), and runs it once the holder is gone', async () => {
  const continueAfterEvents = 100;
  const a = (await stack.tickets().create({ title: 'Long holder', policy: 'manual' })).ticket;
  await stack.tickets().transition(a.id, { toPhase: Phase.REQUIREMENTS, requestId: 'long-a' });
  await running(a.id, 'the holder to run');

  // Short resource waits and a small threshold: the waiter's history passes it within seconds.
  const waiters = stack.tickets({ continueAsNewAfterEvents: continueAfterEvents, resourceWait: { initialMs: 20, maxMs: 100 } });
  const b = (await waiters.create({ title: 'Long waiter', policy: 'manual' })).ticket;
  await waiters.transition(b.id, { toPhase: Phase.REQUIREMENTS, requestId: 'long-b' });
  const runsOf = async (workflowId: string) => {
    const runs: { status: string; historyLength: number }[] = [];
    for await (const execution of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      runs.push({ status: execution.status.name, historyLength: execution.historyLength });
    }
    return runs;
  };
  const runs = await eventually(async () => {
    const found = await runsOf(b.workflowId);
    return found.filter((run) => run.status === 'CONTINUED_AS_NEW').length >= 2 && found;
  }, 'the waiter to continue as new twice');
  // Each run that continued as new stayed within the threshold plus one wait round (17 events) and its 2 closing events.
  for (const run of runs.filter((candidate) => candidate.status === 'CONTINUED_AS_NEW'))
    expect(run.historyLength).toBeLessThanOrEqual(continueAfterEvents + 17 + 2);

  // The stopped waits recorded nothing: the task is pending, never started, cancelled or failed, and
  // the ticket is still in its phase run (no block, one transition).
  expect(await stack.db.prisma.task.findMany({ where: { ticketId: b.id }, select: { taskType: true, status: true, attempts: true } })).toEqual(
    expect.arrayContaining([{ taskType: 'analyze_requirements', status: 'pending', attempts: 0 }]),
  );
  expect(await stack.db.prisma.task.count({ where: { ticketId: b.id, status: { in: ['cancelled', 'failed'] } } })).toBe(0);
  expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: b.id } })).toBe(1);
  const state = await stack.env.client.workflow.getHandle(b.workflowId).query(getStateQuery);
  expect(state).toMatchObject({ phase: Phase.REQUIREMENTS, blocked: null });

  // The holder goes: the resumed waiter takes the lock and runs.
  await stack.tickets().cancel(a.id, 'free the repository', 'test');
  const waiter = await running(b.id, 'the resumed waiter to run');
  expect(waiter.attempts).toBe(1);
  expect(await stack.db.prisma.resourceLock.findUnique({ where: { resource: 'repo:shared' } })).toMatchObject({ taskId: waiter.id });
  await waiters.cancel(b.id, 'test over', 'test');
  await eventually(async () => (await stack.db.prisma.resourceLock.count()) === 0, 'every lock to be released');
});
