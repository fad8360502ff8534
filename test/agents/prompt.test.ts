/**
 * The prompt of a coding-agent CLI (issue 10, "Backends"): every field of the view a template
 * renders, the built-in templates (gate files with their paths and criteria per phase for a ticket
 * in the example repository, the orchestrator's own checks, the validation's answer format), the
 * fallback to the `default` template, seeding, and how a final message becomes the task's output
 * (read the way the gate reads a validation). Real PostgreSQL; the example repository's row as
 * start-up syncs it from config/orchestrator.json.
 */
import { randomUUID } from 'node:crypto';
import type { Task, Ticket } from '@prisma/client';
import { loadOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';
import { MAX_DEPENDENCY_OUTPUT_CHARS, PROMPT_LEAD, buildPrompt, outputOfFinalMessage } from '../../src/agents/prompt';
import { DEFAULT_PROMPT_TEMPLATES, PromptTemplateStore, checkPromptTemplate, seedPromptTemplates } from '../../src/agents/prompt-templates';
import { agentRequest } from '../../src/agents/request';
import { taskOutput } from '../../src/agents/protocol';
import { gatePolicy, type GatePolicy } from '../../src/phase-work/gate-policy';
import { executionInputs } from '../../src/phase-work/task-store';
import { syncConfiguredRepositories } from '../../src/repositories/store';
import { Phase } from '../../src/ticket/phases';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { RICH_TICKET } from '../helpers/tickets';

let db: TestDatabase;
let config: OrchestratorConfig;
let store: PromptTemplateStore;
/** A ticket in the example repository, keyed `GH-12`, with a source URL and labels. */
let ticket: Ticket;
/** The same ticket's twin without a repository or external ID. */
let scratch: Ticket;

const REQUEST_FILE = '/tmp/task-scratch/request.json';

beforeAll(async () => {
  db = await createTestDatabase();
  config = loadOrchestratorConfig();
  await syncConfiguredRepositories(db.prisma, config.repositories);
  store = new PromptTemplateStore(db.prisma);
  const { title, description, acceptanceCriteria, priority } = RICH_TICKET;
  const fields = { title, description, acceptanceCriteria, priority, labels: ['backend', 'queue'], phaseId: Phase.REQUIREMENTS };
  ticket = await db.prisma.ticket.create({
    data: {
      ...fields,
      externalId: 'GH-12',
      workflowId: `ticket-${randomUUID()}`,
      sourceUrl: 'https://github.com/acme/app/issues/12',
      repositoryName: 'example',
    },
  });
  scratch = await db.prisma.ticket.create({ data: { ...fields, workflowId: `ticket-${randomUUID()}` } });
});

afterAll(() => db?.drop());

/** Starts each test with the built-in templates only. */
beforeEach(async () => {
  await db.prisma.promptTemplate.deleteMany();
  await seedPromptTemplates(db.prisma);
});

/** A task row of `of` in `phase` (entry 1), with an optional result. */
function task(of: Ticket, phase: Phase, taskType: string, extra: Partial<Pick<Task, 'status' | 'dependencies'>> & { result?: object } = {}) {
  return db.prisma.task.upsert({
    where: { ticketId_phaseId_phaseEntry_taskType: { ticketId: of.id, phaseId: phase, phaseEntry: 1, taskType } },
    create: { ticketId: of.id, phaseId: phase, phaseEntry: 1, taskType, description: `Do ${taskType} for: ${of.title}`, ...extra },
    update: {},
  });
}

/** The prompt of the task's execution number `attempt`, built as a CLI execution builds it. */
async function promptOf(row: Task, of: Ticket, options: { attempt?: number; contextSummary?: string; policy?: GatePolicy } = {}) {
  const request = agentRequest({
    task: row,
    ticket: of,
    attempt: options.attempt ?? 1,
    ...(await executionInputs(db.prisma, row)),
    workspace: '/work/tree',
    contextSummary: options.contextSummary ?? '',
  });
  return buildPrompt(db.prisma, options.policy ?? config, { request, ticket: of, requestFile: REQUEST_FILE });
}

describe('the view', () => {
  /** A template naming every field of the view. */
  const EVERY_FIELD = [
    'key={{ticket.key}} title={{ticket.title}} source={{ticket.sourceUrl}} labels={{ticket.labels}} priority={{ticket.priority}}',
    'description={{ticket.description}}',
    'criteria={{#ticket.acceptanceCriteria}}[{{.}}]{{/ticket.acceptanceCriteria}}',
    'phase={{phase}} type={{task.type}} attempt={{task.attempt}} retry={{task.retry}} task={{task.description}}',
    'context={{contextSummary}}',
    'dependencies={{#dependencies}}[{{taskType}}: {{output}}]{{/dependencies}}',
    'repository={{repository.name}}@{{repository.defaultBranch}} tests=`{{repository.testCommand}}` under {{repository.testPaths}}',
    'documents={{documents.requirements_document}} {{documents.design_document}}',
    'gate={{#gateFiles}}[{{artifactType}} {{path}}: {{criteria}}]{{/gateFiles}}',
    'checks={{#checks}}[{{artifactType}} from {{source}}: {{criteria}}]{{/checks}}',
    'artifacts={{#artifacts}}[{{type}} {{path}}]{{/artifacts}}',
    'request={{requestFile}}',
  ].join('\n');

  it('renders every field for an implementation task in the example repository, unescaped', async () => {
    const analysis = await task(ticket, Phase.IMPLEMENTATION, 'analyze_code', {
      status: 'completed',
      result: { output: { summary: 'Queue <lives> in src/queue.ts' } },
    });
    const row = await task(ticket, Phase.IMPLEMENTATION, 'implement_feature', { dependencies: [analysis.id] });
    await store.put('implement_feature', EVERY_FIELD);
    const prompt = await promptOf(row, ticket, { attempt: 2, contextSummary: 'Design: a "dependencies" column & a resolver' });
    const run = '`npm test --silent`, run by the orchestrator in this tree';
    expect(prompt).toBe(
      [
        'key=GH-12 title=Task Dependencies & Blocking source=https://github.com/acme/app/issues/12 labels=backend, queue priority=HIGH',
        `description=${RICH_TICKET.description}`,
        `criteria=${RICH_TICKET.acceptanceCriteria!.map((criterion) => `[${criterion}]`).join('')}`,
        `phase=PHASE_IMPLEMENTATION type=implement_feature attempt=2 retry=true task=Do implement_feature for: ${RICH_TICKET.title}`,
        'context=Design: a "dependencies" column & a resolver',
        'dependencies=[analyze_code: {"summary":"Queue <lives> in src/queue.ts"}]',
        'repository=example@main tests=`npm test --silent` under test/**',
        'documents=docs/tickets/GH-12/requirements.md docs/tickets/GH-12/design.md',
        'gate=',
        'checks=' +
          '[code_changes from the changes of this task and the earlier ones (the ticket branch against its base): at least one changed test file (a path matching test/**)]' +
          `[test_coverage from the istanbul-summary coverage report reports/coverage/coverage-summary.json written by ${run}: line coverage at least 80 %]`,
        'artifacts=',
        `request=${REQUEST_FILE}`,
      ].join('\n'),
    );
  });

  it('keys a ticket without an external ID by its ID, and has no repository, checks or retry without them', async () => {
    const row = await task(scratch, Phase.IMPLEMENTATION, 'implement_feature');
    await store.put('implement_feature', EVERY_FIELD);
    const prompt = await promptOf(row, scratch);
    expect(prompt).toContain(`key=${scratch.id} `);
    expect(prompt).toContain('source= labels=backend, queue');
    expect(prompt).toContain('retry=false');
    expect(prompt).toContain('repository=@ tests=`` under \n');
    expect(prompt).toContain(`documents=docs/tickets/${scratch.id}/requirements.md`);
    expect(prompt).toContain('checks=\n');
  });

  it('replaces a long dependency output by its summary, and cuts one without a summary', async () => {
    const long = 'x'.repeat(MAX_DEPENDENCY_OUTPUT_CHARS);
    const summarized = await task(ticket, Phase.TESTING, 'long_summarized', {
      status: 'completed',
      result: { output: { summary: 'short story', notes: long } },
    });
    const bare = await task(ticket, Phase.TESTING, 'long_bare', { status: 'completed', result: { output: { notes: long } } });
    const row = await task(ticket, Phase.TESTING, 'write_tests', { dependencies: [summarized.id, bare.id] });
    await store.put('write_tests', '{{#dependencies}}{{taskType}}={{output}}\n{{/dependencies}}');
    const lines = (await promptOf(row, ticket)).split('\n');
    expect(lines).toContain('long_summarized=short story');
    const cut = lines.find((line) => line.startsWith('long_bare='))!;
    expect(cut).toBe(`long_bare=${JSON.stringify({ notes: long }).slice(0, MAX_DEPENDENCY_OUTPUT_CHARS)}… (cut; the whole output is in the request file)`);
  });

  it.each([
    ['/', '/review {{task.type}}'],
    ['@', '  @src/index.ts {{task.type}}'],
  ])('puts a first line before a prompt that would start with %s (a Gemini CLI command or include)', async (_char, template) => {
    const row = await task(ticket, Phase.DESIGN, 'design_architecture');
    await store.put('design_architecture', template);
    const prompt = await promptOf(row, ticket);
    expect(prompt).toBe(`${PROMPT_LEAD}\n${template.trim().replace('{{task.type}}', 'design_architecture')}`);
  });
});

describe('the built-in templates', () => {
  it('name every part of the ticket, the task, the context, the dependencies, the repository and the rules', async () => {
    const analysis = await task(ticket, Phase.REQUIREMENTS, 'analyze_requirements', {
      status: 'completed',
      result: { output: { summary: 'Three open questions about cycles' } },
    });
    const row = await task(ticket, Phase.REQUIREMENTS, 'create_requirements_doc', { dependencies: [analysis.id] });
    const prompt = await promptOf(row, ticket, { attempt: 3, contextSummary: 'Backlog: imported from GitHub' });
    for (const part of [
      'ticket GH-12: Task Dependencies & Blocking',
      'Phase PHASE_REQUIREMENTS, task create_requirements_doc (attempt 3): Do create_requirements_doc for: Task Dependencies & Blocking',
      'An earlier attempt of this task did not finish',
      RICH_TICKET.description,
      ...RICH_TICKET.acceptanceCriteria!.map((criterion) => `- ${criterion}`),
      'Priority: HIGH',
      'Labels: backend, queue',
      'Source: https://github.com/acme/app/issues/12',
      '## What the earlier phases found\nBacklog: imported from GitHub',
      '- analyze_requirements: {"summary":"Three open questions about cycles"}',
      'repository example (default branch main)',
      'Its tests run with `npm test --silent`; test files belong under test/**.',
      'Write the requirements document to docs/tickets/GH-12/requirements.md',
      `The whole task request (JSON, protocol ticket-orchestrator/agent-v1) is in ${REQUEST_FILE}.`,
      'Work only in the current working tree.',
      'Do not commit and do not push: the orchestrator commits what you change.',
      '{"context": {',
    ]) {
      expect(prompt).toContain(part);
    }
    expect(prompt).not.toMatch(/&amp;|&quot;|&#x2F;/);
  });

  it('list the requirements document with its path and criteria in PHASE_REQUIREMENTS', async () => {
    const prompt = await promptOf(await task(ticket, Phase.REQUIREMENTS, 'analyze_requirements'), ticket);
    expect(prompt).toContain(
      '## Files the gate of this phase collects\n' +
        'The orchestrator collects these files from the working tree (paths relative to it) and checks them:\n' +
        '- docs/tickets/GH-12/requirements.md (requirements_document): at least 500 characters; headings "## Scope" and "## Acceptance Criteria"; content under "## Acceptance Criteria"\n',
    );
    expect(prompt).not.toContain('## What the orchestrator checks itself');
  });

  it("list the orchestrator's own checks of PHASE_IMPLEMENTATION: tests under testPaths, its test run and coverage", async () => {
    const prompt = await promptOf(await task(ticket, Phase.IMPLEMENTATION, 'implement_feature'), ticket);
    expect(prompt).toContain(
      '## What the orchestrator checks itself\n' +
        "After your task the orchestrator commits your changes, runs the repository's tests itself and reads their reports; what you say about tests is not trusted. The gate requires:\n" +
        '- code_changes, from the changes of this task and the earlier ones (the ticket branch against its base): at least one changed test file (a path matching test/**)\n' +
        '- test_coverage, from the istanbul-summary coverage report reports/coverage/coverage-summary.json written by `npm test --silent`, run by the orchestrator in this tree: line coverage at least 80 %\n',
    );
    expect(prompt).toContain('following the design document docs/tickets/GH-12/design.md if there is one');
    expect(prompt).not.toContain('## Files the gate of this phase collects');
  });

  it('list the test results and evidence of PHASE_TESTING', async () => {
    const prompt = await promptOf(await task(ticket, Phase.TESTING, 'run_tests'), ticket);
    expect(prompt).toContain(
      '- test_results, from the jest-json report reports/jest.json written by `npm test --silent`, run by the orchestrator in this tree: every test passes, and at least one runs\n' +
        '- test_evidence, from the output of `npm test --silent`, run by the orchestrator in this tree: recorded as the evidence of the run\n',
    );
  });

  it("list a deployment's own document gate (the design document in PHASE_DESIGN), and none where the phase has no gate", async () => {
    const row = await task(ticket, Phase.DESIGN, 'design_architecture');
    expect(await promptOf(row, ticket)).not.toContain('## Files the gate');
    const policy = gatePolicy(
      {
        [Phase.DESIGN]: {
          requiredArtifacts: ['design_document'],
          requiredTasksCompleted: false,
          validationCriteria: { design_document: { requiredSections: ['interfaces'] } },
        },
      },
      [],
    );
    const prompt = await promptOf(row, ticket, { policy });
    expect(prompt).toContain('- docs/tickets/GH-12/design.md (design_document): heading "## Interfaces"\n');
    expect(prompt).toContain('write the design document to docs/tickets/GH-12/design.md');
  });

  it('have no repository section and no checks for a ticket without a repository', async () => {
    const prompt = await promptOf(await task(scratch, Phase.IMPLEMENTATION, 'implement_feature'), scratch);
    expect(prompt).not.toContain('## Repository');
    expect(prompt).not.toContain('## What the orchestrator checks itself');
    expect(prompt).toContain(`ticket ${scratch.id}: Task Dependencies & Blocking`);
  });

  it('ask the validation agent to review the listed artifacts and end with the approval line the gate reads', async () => {
    await db.prisma.phaseGateArtifact.create({
      data: {
        ticketId: ticket.id,
        phaseId: Phase.REQUIREMENTS,
        phaseEntry: 1,
        artifactType: 'requirements_document',
        artifactPath: 'docs/tickets/GH-12/requirements.md',
        artifactContent: { text: '# Requirements' },
        collectedBy: 'claude-code',
      },
    });
    const prompt = await promptOf(await task(ticket, Phase.REQUIREMENTS, 'validate_phase'), ticket);
    expect(prompt).toContain(
      `The request file ${REQUEST_FILE} lists the phase's artifacts with their content under "artifacts":\n- requirements_document (docs/tickets/GH-12/requirements.md)\n`,
    );
    expect(prompt).toContain('- docs/tickets/GH-12/requirements.md (requirements_document): at least 500 characters');
    expect(prompt).toContain('Do not change any file, do not commit, do not push.');
    // Issue 11: what cannot be checked is not approved.
    expect(prompt).toContain(
      "Never approve what you cannot check: when the ticket lists no acceptance criteria, or the requirements document's Acceptance Criteria section is missing or empty, answer approved false and say so.",
    );
    expect(prompt).toMatch(/End your final message with one line holding one JSON object and nothing after it:\n\{"approved": true, "reasons": \[\]\}\n/);

    // What the agent answers that way is what the gate reads: output.approved === true and output.reasons.
    const rejected = outputOfFinalMessage('The document lacks a scope.\n\n{"approved": false, "reasons": ["no ## Scope section"]}');
    const stored = taskOutput({ result: { output: rejected, artifacts: [] } });
    expect(stored).toEqual({ summary: 'The document lacks a scope.', approved: false, reasons: ['no ## Scope section'] });
  });

  it('say so when a validation has no artifacts to review', async () => {
    const prompt = await promptOf(await task(ticket, Phase.DESIGN, 'validate_phase'), ticket);
    expect(prompt).toContain('under "artifacts":\n- (none were collected)\n');
  });

  it('parse and never start with / or @, every one of them', () => {
    for (const [taskType, template] of Object.entries(DEFAULT_PROMPT_TEMPLATES)) {
      expect(() => checkPromptTemplate(taskType, template)).not.toThrow();
      expect(template).not.toMatch(/^\s*[/@]/);
    }
  });
});

describe('which template a task gets', () => {
  it("uses the task type's own row, else the `default` row, else the built-in default", async () => {
    const row = await task(ticket, Phase.DEPLOYMENT, 'announce_release');
    expect(await promptOf(row, ticket)).toContain('## Your task\nDo announce_release for: Task Dependencies & Blocking.\n');
    await store.put('default', 'edited default for {{task.type}}');
    expect(await promptOf(row, ticket)).toBe('edited default for announce_release');
    await store.put('announce_release', 'own template for {{ticket.key}}');
    expect(await promptOf(row, ticket)).toBe('own template for GH-12');
    await db.prisma.promptTemplate.deleteMany();
    expect(await promptOf(row, ticket)).toContain('## Your task\nDo announce_release for: Task Dependencies & Blocking.\n');
  });

  it('fails the build of a prompt whose stored template does not parse (written around the API)', async () => {
    await db.prisma.promptTemplate.update({ where: { taskType: 'deploy_feature' }, data: { template: '{{#ticket}} never closed' } });
    await expect(promptOf(await task(ticket, Phase.DEPLOYMENT, 'deploy_feature'), ticket)).rejects.toThrow(/Unclosed section "ticket"/);
  });
});

describe('seedPromptTemplates', () => {
  it('inserts the built-in templates once and never overwrites an edited one', async () => {
    const rows = await db.prisma.promptTemplate.findMany();
    expect(Object.fromEntries(rows.map((row) => [row.taskType, row.template]))).toEqual(DEFAULT_PROMPT_TEMPLATES);
    expect(Object.keys(DEFAULT_PROMPT_TEMPLATES).sort()).toEqual(
      [
        'default',
        'validate_phase',
        'analyze_requirements',
        'create_requirements_doc',
        'design_architecture',
        'implement_feature',
        'write_tests',
        'run_tests',
        'deploy_feature',
      ].sort(),
    );
    await store.put('implement_feature', 'edited');
    await db.prisma.promptTemplate.delete({ where: { taskType: 'run_tests' } });
    expect(await seedPromptTemplates(db.prisma)).toBe(1);
    expect((await store.get('implement_feature')).template).toBe('edited');
    expect((await store.get('run_tests')).template).toBe(DEFAULT_PROMPT_TEMPLATES.run_tests);
    expect(await seedPromptTemplates(db.prisma)).toBe(0);
  });
});

describe('outputOfFinalMessage', () => {
  it.each([
    ['no JSON', 'Wrote the document.\n', { summary: 'Wrote the document.' }],
    ['a JSON object on the last line', 'Wrote it.\n{"context": {"decisions": ["REST"]}}\n\n', { summary: 'Wrote it.', context: { decisions: ['REST'] } }],
    ['a validation line', 'Looks complete.\n{"approved": true, "reasons": []}', { summary: 'Looks complete.', approved: true, reasons: [] }],
    ['only the JSON line', '{"approved": true, "reasons": []}', { summary: '', approved: true, reasons: [] }],
    [
      'a final ```json fence',
      'Reviewed.\n\n```json\n{\n  "approved": false,\n  "reasons": ["tests missing"]\n}\n```\n',
      { summary: 'Reviewed.', approved: false, reasons: ['tests missing'] },
    ],
    ['a pretty-printed object closing the message', 'Done.\n{\n  "context": {"risk": "low"}\n}', { summary: 'Done.', context: { risk: 'low' } }],
    ['invalid JSON on the last line', 'Done.\n{"approved": true,}', { summary: 'Done.\n{"approved": true,}' }],
    ['invalid JSON in the fence', 'Done.\n```json\n{approved: true}\n```', { summary: 'Done.\n```json\n{approved: true}\n```' }],
    ['a JSON array on the last line', 'Files:\n["a", "b"]', { summary: 'Files:\n["a", "b"]' }],
    ['a JSON object in the middle only', 'First {"approved": true}\nthen more text', { summary: 'First {"approved": true}\nthen more text' }],
    [
      'a fence that is not the end',
      '```json\n{"approved": true}\n```\nBut then I changed my mind.',
      { summary: '```json\n{"approved": true}\n```\nBut then I changed my mind.' },
    ],
    ['an empty message', '', { summary: '' }],
  ])('reads %s', (_case, message, expected) => {
    expect(outputOfFinalMessage(message)).toEqual(expected);
  });
});
