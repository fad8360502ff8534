/**
 * Resource locks (seed 004 milestone 3.3, conflict detection), on a real dev server and PostgreSQL:
 * tasks declaring the same resource never run at the same time, across tickets; cancelling the
 * holder releases the lock, and a lock whose holder crashed (its lease ran out) is taken over.
 */
import { Phase } from '../../src/ticket/phases';
import { useTicketStack } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { hangThenReference } from '../helpers/agents';

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
