/**
 * The prompt-template endpoints (issue 10, "Backends": templates "stored like task templates,
 * editable through the API"), mounted directly (supertest) on a real Temporal dev server, worker
 * and PostgreSQL: list, get (own or inherited), put, remove (a built-in comes back), preview of a
 * task's prompt, and every error path (400 bad input, 404, 422 a template that does not parse),
 * each writing nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { PREVIEW_REQUEST_FILE } from '../../src/agents/prompt';
import { DEFAULT_PROMPT_TEMPLATES, MAX_PROMPT_TEMPLATE_CHARS, seedPromptTemplates } from '../../src/agents/prompt-templates';
import { Phase } from '../../src/ticket/phases';
import { STATE_MACHINE_ONLY, stackApp, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let app: Express;
const api = () => request(app);

/** The ticket (example repository, key GH-7) and its tasks the previews render. */
const ids = { ticket: '', analysis: '', implement: '', validation: '' };

beforeAll(async () => {
  app = stackApp(stack, STATE_MACHINE_ONLY);
  const { prisma } = stack.db;
  await seedPromptTemplates(prisma);
  const ticket = await prisma.ticket.create({
    data: {
      title: 'Rate-limit the search endpoint',
      description: 'Search is hammered by crawlers.',
      acceptanceCriteria: ['429 past 10 requests per second'],
      externalId: 'GH-7',
      workflowId: `ticket-${randomUUID()}`,
      repositoryName: 'example',
      phaseId: Phase.IMPLEMENTATION,
      context: { requirements_phase: { key_decisions: ['Limit per client IP'] } },
    },
  });
  const run = { ticketId: ticket.id, phaseEntry: 1 };
  const analysis = await prisma.task.create({
    data: {
      ...run,
      phaseId: Phase.IMPLEMENTATION,
      taskType: 'analyze_code',
      description: 'Find the endpoint',
      status: 'completed',
      result: { output: { summary: 'In src/search.ts' }, artifacts: [] },
    },
  });
  const implement = await prisma.task.create({
    data: {
      ...run,
      phaseId: Phase.IMPLEMENTATION,
      taskType: 'implement_feature',
      description: 'Implement feature: rate limit',
      dependencies: [analysis.id],
      attempts: 1,
    },
  });
  const validation = await prisma.task.create({
    data: { ...run, phaseId: Phase.REQUIREMENTS, taskType: 'validate_phase', description: 'Validate the requirements' },
  });
  await prisma.phaseGateArtifact.create({
    data: {
      ...run,
      phaseId: Phase.REQUIREMENTS,
      artifactType: 'requirements_document',
      artifactPath: 'docs/tickets/GH-7/requirements.md',
      artifactContent: { text: '# R' },
    },
  });
  Object.assign(ids, { ticket: ticket.id, analysis: analysis.id, implement: implement.id, validation: validation.id });
});

function expectError(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

/** The stored rows as `taskType → template`, to show that a refused request wrote nothing. */
async function stored(): Promise<Record<string, string>> {
  const rows = await stack.db.prisma.promptTemplate.findMany();
  return Object.fromEntries(rows.map((row) => [row.taskType, row.template]));
}

describe('GET /api/v1/prompt-templates', () => {
  it('lists every stored template by task type', async () => {
    const { body } = await api().get('/api/v1/prompt-templates').expect(200);
    const types = body.items.map((item: { taskType: string }) => item.taskType);
    expect(types).toEqual([...types].sort());
    expect(types).toEqual(expect.arrayContaining(Object.keys(DEFAULT_PROMPT_TEMPLATES)));
    expect(body.items.find((item: { taskType: string }) => item.taskType === 'validate_phase')).toEqual({
      taskType: 'validate_phase',
      template: DEFAULT_PROMPT_TEMPLATES.validate_phase,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });
});

describe('GET /api/v1/prompt-templates/:taskType', () => {
  it("answers a task type's own template", async () => {
    const { body } = await api().get('/api/v1/prompt-templates/implement_feature').expect(200);
    expect(body).toEqual({ taskType: 'implement_feature', template: DEFAULT_PROMPT_TEMPLATES.implement_feature, inherited: false });
  });

  it('answers the default template, inherited, for a task type without its own', async () => {
    const { body } = await api().get('/api/v1/prompt-templates/summarize_changes').expect(200);
    expect(body).toEqual({ taskType: 'summarize_changes', template: DEFAULT_PROMPT_TEMPLATES.default, inherited: true });
  });

  it('refuses a malformed task type with 400 VALIDATION_FAILED', async () => {
    expectError(await api().get('/api/v1/prompt-templates/Not-A-Type'), 400, 'VALIDATION_FAILED');
  });
});

describe('PUT /api/v1/prompt-templates/:taskType', () => {
  it('creates a task type its own template, then replaces it', async () => {
    const created = await api().put('/api/v1/prompt-templates/triage_bug').send({ template: 'Triage {{ticket.key}}' });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ taskType: 'triage_bug', template: 'Triage {{ticket.key}}', createdAt: expect.any(String), updatedAt: expect.any(String) });
    const replaced = await api().put('/api/v1/prompt-templates/triage_bug').send({ template: 'Triage {{ticket.key}} now' }).expect(200);
    expect(replaced.body).toMatchObject({ taskType: 'triage_bug', template: 'Triage {{ticket.key}} now', createdAt: created.body.createdAt });
    expect((await api().get('/api/v1/prompt-templates/triage_bug').expect(200)).body).toEqual({
      taskType: 'triage_bug',
      template: 'Triage {{ticket.key}} now',
      inherited: false,
    });
  });

  it.each([
    ['an unclosed section', '{{#ticket}}no end', /Unclosed section "ticket"/],
    ['an unopened section', 'text {{/ticket}}', /Unopened section "ticket"/],
    ['an unclosed tag', 'Hello {{ticket.key', /Unclosed tag/],
  ])('refuses %s with 422 INVALID_PROMPT_TEMPLATE, writing nothing', async (_case, template, reason) => {
    const before = await stored();
    const response = await api().put('/api/v1/prompt-templates/implement_feature').send({ template });
    expectError(response, 422, 'INVALID_PROMPT_TEMPLATE');
    expect(response.body.error.details).toEqual({ taskType: 'implement_feature', reason: expect.stringMatching(reason) });
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['no body', undefined],
    ['no template', {}],
    ['a template that is no string', { template: 42 }],
    ['a blank template', { template: '  \n' }],
    ['a template over 50 000 characters', { template: 'x'.repeat(MAX_PROMPT_TEMPLATE_CHARS + 1) }],
    ['a NUL character', { template: 'a\u0000b' }],
    ['an unknown field', { template: 'ok', colour: 'red' }],
  ])('refuses %s with 400 VALIDATION_FAILED, writing nothing', async (_case, body) => {
    const before = await stored();
    expectError(await api().put('/api/v1/prompt-templates/write_tests').send(body), 400, 'VALIDATION_FAILED');
    expect(await stored()).toEqual(before);
  });

  it('refuses a malformed task type with 400, writing nothing', async () => {
    const before = await stored();
    expectError(
      await api()
        .put(`/api/v1/prompt-templates/${'t'.repeat(101)}`)
        .send({ template: 'ok' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await stored()).toEqual(before);
  });
});

describe('DELETE /api/v1/prompt-templates/:taskType', () => {
  it('removes a task type its own template, so it inherits the default; a second delete is 404', async () => {
    await api().put('/api/v1/prompt-templates/release_notes').send({ template: 'Notes' }).expect(200);
    await api().delete('/api/v1/prompt-templates/release_notes').expect(204);
    expect((await api().get('/api/v1/prompt-templates/release_notes').expect(200)).body.inherited).toBe(true);
    const again = await api().delete('/api/v1/prompt-templates/release_notes');
    expectError(again, 404, 'PROMPT_TEMPLATE_NOT_FOUND');
    expect(again.body.error.details).toEqual({ taskType: 'release_notes' });
  });

  it.each(['default', 'implement_feature'])('gives %s its built-in template back', async (taskType) => {
    await api().put(`/api/v1/prompt-templates/${taskType}`).send({ template: 'edited' }).expect(200);
    await api().delete(`/api/v1/prompt-templates/${taskType}`).expect(204);
    expect((await api().get(`/api/v1/prompt-templates/${taskType}`).expect(200)).body).toEqual({
      taskType,
      template: DEFAULT_PROMPT_TEMPLATES[taskType],
      inherited: false,
    });
  });

  it('refuses a malformed task type with 400', async () => {
    expectError(await api().delete('/api/v1/prompt-templates/_x'), 400, 'VALIDATION_FAILED');
  });
});

describe('POST /api/v1/prompt-templates/:taskType/preview', () => {
  it("renders the task type's template for a task as its next execution would get it", async () => {
    const { body } = await api().post('/api/v1/prompt-templates/implement_feature/preview').send({ taskId: ids.implement }).expect(200);
    const { prompt } = body as { prompt: string };
    for (const part of [
      'ticket GH-7: Rate-limit the search endpoint',
      'Phase PHASE_IMPLEMENTATION, task implement_feature (attempt 2): Implement feature: rate limit',
      '- 429 past 10 requests per second',
      'Decision (requirements phase): Limit per client IP',
      '- analyze_code: {"summary":"In src/search.ts"}',
      'Its tests run with `npm test --silent`',
      'line coverage at least 80 %',
      `is in ${PREVIEW_REQUEST_FILE}.`,
    ]) {
      expect(prompt).toContain(part);
    }
  });

  it('renders an unsaved template, and the template of another task type, for the task', async () => {
    const unsaved = await api()
      .post('/api/v1/prompt-templates/implement_feature/preview')
      .send({ taskId: ids.implement, template: '{{ticket.key}} {{task.type}} {{#checks}}{{artifactType}} {{/checks}}' })
      .expect(200);
    expect(unsaved.body).toEqual({ prompt: 'GH-7 implement_feature code_changes test_coverage' });
    expect((await api().get('/api/v1/prompt-templates/implement_feature')).body.template).toBe(DEFAULT_PROMPT_TEMPLATES.implement_feature);
    await api().put('/api/v1/prompt-templates/short_form').send({ template: 'Short: {{task.description}}' }).expect(200);
    expect((await api().post('/api/v1/prompt-templates/short_form/preview').send({ taskId: ids.implement }).expect(200)).body).toEqual({
      prompt: 'Short: Implement feature: rate limit',
    });
  });

  it("lists a validation's artifacts", async () => {
    const { body } = await api().post('/api/v1/prompt-templates/validate_phase/preview').send({ taskId: ids.validation }).expect(200);
    expect(body.prompt).toContain('- requirements_document (docs/tickets/GH-7/requirements.md)\n');
    expect(body.prompt).toMatch(/\{"approved": true, "reasons": \[\]\}/);
  });

  it('answers 404 TASK_NOT_FOUND for an unknown task', async () => {
    const taskId = randomUUID();
    const response = await api().post('/api/v1/prompt-templates/implement_feature/preview').send({ taskId });
    expectError(response, 404, 'TASK_NOT_FOUND');
    expect(response.body.error.details).toEqual({ taskId });
  });

  it('refuses an unsaved template that does not parse with 422, writing nothing', async () => {
    const before = await stored();
    const response = await api().post('/api/v1/prompt-templates/implement_feature/preview').send({ taskId: ids.implement, template: '{{#a}}' });
    expectError(response, 422, 'INVALID_PROMPT_TEMPLATE');
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['no body', undefined],
    ['a task ID that is no UUID', { taskId: 'task-1' }],
    ['an unknown field', { taskId: randomUUID(), phase: 'x' }],
    ['a blank template', { taskId: randomUUID(), template: '' }],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_case, body) => {
    expectError(await api().post('/api/v1/prompt-templates/implement_feature/preview').send(body), 400, 'VALIDATION_FAILED');
  });

  it('refuses a malformed task type with 400', async () => {
    expectError(await api().post('/api/v1/prompt-templates/Bad/preview').send({ taskId: ids.implement }), 400, 'VALIDATION_FAILED');
  });
});
