/**
 * Task and template dependencies through the API (seed 004, milestone 1.1), on a real dev server,
 * worker and PostgreSQL: blocked-by and blocks, cycles refused with their path, nothing written.
 */
import type { Express } from 'express';
import request from 'supertest';
import { Phase } from '../../src/ticket/phases';
import { eventually } from '../helpers/poll';
import { stackApp, useTicketStack } from '../helpers/temporal';
import { hangThenReference } from '../helpers/agents';

const config = hangThenReference();
const stack = useTicketStack(config);
let app: Express;
const api = () => request(app);

beforeAll(async () => {
  // analyze_requirements hangs, so the tasks after it stay pending for the test to rearrange.
  await stack.db.prisma.taskTemplate.updateMany({ where: { taskType: 'analyze_requirements' }, data: { requiredCapabilities: ['hang'] } });
  app = stackApp(stack);
  const review = await api()
    .post('/api/v1/task-templates')
    .send({
      phaseId: Phase.REQUIREMENTS,
      taskType: 'review_requirements',
      templateDescription: 'Review: {ticket_title}',
      requiredCapabilities: ['documentation'],
      dependenciesTemplate: ['create_requirements_doc'],
    });
  expect(review.status).toBe(201);
});

it('shows blocked-by and blocks, adds dependencies, and refuses cycles with their path', async () => {
  const { body: ticket } = await api().post('/api/v1/tickets').send({ title: 'Deps', policy: 'manual' });
  await api().post(`/api/v1/tickets/${ticket.id}/transition`).send({ toPhase: Phase.REQUIREMENTS }).expect(200);
  // The workflow generates the run's tasks right after the transition.
  const tasks = await eventually(async () => {
    const { body } = await api().get(`/api/v1/tickets/${ticket.id}/tasks`).expect(200);
    return body.items.length === 3 && (body.items as { id: string; taskType: string }[]);
  }, 'the three REQUIREMENTS tasks');
  const id = (type: string) => tasks.find((task) => task.taskType === type)!.id;
  const [analyze, document, review] = [id('analyze_requirements'), id('create_requirements_doc'), id('review_requirements')];

  const { body: deps } = await api().get(`/api/v1/tasks/${document}/dependencies`).expect(200);
  expect(deps.dependsOn.map((t: { id: string }) => t.id)).toEqual([analyze]);
  expect(deps.blockedBy.map((t: { id: string }) => t.id)).toEqual([analyze]);
  expect(deps.blocks.map((t: { id: string }) => t.id)).toEqual([review]);

  const cycle = await api()
    .post(`/api/v1/tasks/${document}/dependencies`)
    .send({ dependsOn: [review] });
  expect(cycle.status).toBe(422);
  expect(cycle.body.error.code).toBe('DEPENDENCY_CYCLE');
  // The path starts at one of its tasks and returns to it: document → review → document, or the other way round.
  const path = cycle.body.error.details.cycle as string[];
  expect(path).toHaveLength(3);
  expect(path[0]).toBe(path[2]);
  expect(new Set(path)).toEqual(new Set([document, review]));
  expect(cycle.body.error.message).toContain('create_requirements_doc');
  expect((await stack.db.prisma.task.findUniqueOrThrow({ where: { id: document } })).dependencies).toEqual([analyze]);

  const deadline = Date.now() + 20_000;
  while ((await api().get(`/api/v1/tasks/${analyze}`)).body.status !== 'running') {
    if (Date.now() > deadline) throw new Error('analyze_requirements did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const running = await api()
    .post(`/api/v1/tasks/${analyze}/dependencies`)
    .send({ dependsOn: [review] });
  expect(running.status).toBe(409);
  expect(running.body.error.code).toBe('TASK_NOT_PENDING');
  const foreign = await api()
    .post(`/api/v1/tasks/${review}/dependencies`)
    .send({ dependsOn: ['00000000-0000-4000-8000-000000000000'] });
  expect(foreign.status).toBe(422);
  expect(foreign.body.error.code).toBe('INVALID_DEPENDENCY');
  const added = await api()
    .post(`/api/v1/tasks/${review}/dependencies`)
    .send({ dependsOn: [analyze] });
  expect(added.status).toBe(200);
  expect(added.body.dependsOn.map((t: { id: string }) => t.id).sort()).toEqual([analyze, document].sort());

  await api().post(`/api/v1/tickets/${ticket.id}/cancel`).send({ reason: 'test over' }).expect(202);
});

it('refuses template dependencies that would form a cycle, with the path of task types', async () => {
  const { body: templates } = await api().get('/api/v1/task-templates').query({ phase_id: Phase.REQUIREMENTS }).expect(200);
  const analyze = (templates.items as { id: string; taskType: string }[]).find((t) => t.taskType === 'analyze_requirements')!;
  const response = await api()
    .patch(`/api/v1/task-templates/${analyze.id}`)
    .send({ dependenciesTemplate: ['review_requirements'] });
  expect(response.status).toBe(422);
  expect(response.body.error).toMatchObject({
    code: 'DEPENDENCY_CYCLE',
    details: { cycle: ['analyze_requirements', 'review_requirements', 'create_requirements_doc', 'analyze_requirements'] },
  });
  expect((await stack.db.prisma.taskTemplate.findUniqueOrThrow({ where: { id: analyze.id } })).dependenciesTemplate).toEqual([]);
});
