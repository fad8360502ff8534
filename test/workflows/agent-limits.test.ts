/**
 * Parallel agent tasks within limits (seed 004, milestone 3.3): independent tasks of a run run in
 * parallel up to the ticket's limit, and never more than the worker's global limit across tickets.
 */
import { Phase } from '../../src/ticket/phases';
import { eventually } from '../helpers/poll';
import { useTicketStack } from '../helpers/temporal';
import { faultBackend, fixtureConfig } from '../helpers/agents';

const GLOBAL_LIMIT = 2;
const config = fixtureConfig(faultBackend('hanging-agent', 'hang', ['hang']));
const stack = useTicketStack(config, { maxConcurrentAgentTasks: GLOBAL_LIMIT });

beforeAll(async () => {
  // Three independent REQUIREMENTS tasks whose agents hang until cancelled.
  await stack.db.prisma.taskTemplate.updateMany({ where: { phaseId: Phase.REQUIREMENTS }, data: { requiredCapabilities: ['hang'], dependenciesTemplate: [] } });
  await stack.db.prisma.taskTemplate.create({
    data: { phaseId: Phase.REQUIREMENTS, taskType: 'survey_users', templateDescription: 'Survey users about {ticket_title}', requiredCapabilities: ['hang'] },
  });
});

/** Tasks of the tickets running now. */
const running = (ticketIds: string[]) => stack.db.prisma.task.count({ where: { ticketId: { in: ticketIds }, status: 'running' } });

/** Samples the number of running tasks for `ms`; returns the largest seen. */
async function peakRunning(ticketIds: string[], ms: number): Promise<number> {
  let peak = 0;
  for (const end = Date.now() + ms; Date.now() < end;) {
    peak = Math.max(peak, await running(ticketIds));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return peak;
}

it('runs at most the global limit of agent tasks across tickets, and at most the ticket limit per ticket', async () => {
  const wide = stack.tickets({ maxParallelTasks: 3 });
  const a = (await wide.create({ title: 'A', policy: 'manual' })).ticket;
  const b = (await wide.create({ title: 'B', policy: 'manual' })).ticket;
  for (const ticket of [a, b]) await wide.transition(ticket.id, { toPhase: Phase.REQUIREMENTS, requestId: `start-${ticket.id}` });
  await eventually(() => running([a.id, b.id]).then((count) => count === GLOBAL_LIMIT), 'the global limit to fill');
  expect(await peakRunning([a.id, b.id], 2000)).toBe(GLOBAL_LIMIT);
  for (const ticket of [a, b]) await wide.cancel(ticket.id, 'limit checked', 'test');
  await eventually(() => running([a.id, b.id]).then((count) => count === 0), 'the cancelled tasks to stop');

  const narrow = stack.tickets({ maxParallelTasks: 1 });
  const c = (await narrow.create({ title: 'C', policy: 'manual' })).ticket;
  await narrow.transition(c.id, { toPhase: Phase.REQUIREMENTS, requestId: 'start-c' });
  await eventually(() => running([c.id]).then((count) => count === 1), 'the first task of C to run');
  expect(await peakRunning([c.id], 2000)).toBe(1);
  await narrow.cancel(c.id, 'limit checked', 'test');
});
