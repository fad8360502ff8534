/**
 * The phase-work activities against a real PostgreSQL (a copy of the template database, seeded with
 * the seeds' task templates): generateTasks, planValidationTask, collectArtifacts, validateGate,
 * updateContext and recordTaskOutcome. Each is run twice where an activity retry could repeat it, and
 * must leave the same rows; plus the behaviour each promises (dependencies, de-duplication, gate
 * verdicts with readable reasons, the summary's token budget and order).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createCollectArtifacts,
  createGenerateTasks,
  createPlanValidationTask,
  createRecordTaskOutcome,
  createUpdateContext,
  createValidateGate,
} from '../../activities/phase-work';
import type { PhaseRunRef } from '../../src/phase-work/contracts';
import { storeArtifact } from '../../src/phase-work/gate-store';
import { clarificationQuestion } from '../../src/phase-work/gates';
import { parseOrchestratorConfig } from '../../src/agents/config';
import { countTokens } from '../../src/phase-work/context-summary';
import { Phase } from '../../src/ticket/phases';
import { ticketWorkflowId } from '../../src/ticket/ticket';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const config = parseOrchestratorConfig(
  {
    backends: [
      {
        name: 'reference',
        type: 'command',
        capabilities: ['analysis', 'documentation', 'design', 'implementation', 'testing', 'deployment', 'validation'],
        command: 'node',
        args: ['../../../examples/agents/reference-agent.mjs'],
        timeoutMs: 120_000,
        heartbeatTimeoutMs: 9000,
      },
    ],
    validationPhases: [Phase.REQUIREMENTS],
  },
  path.resolve(__dirname, '..', 'fixtures', 'agents'),
);

let db: TestDatabase;
const activityEnv = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs `fn` in the mock activity context, keeping its result type (MockActivityEnvironment.run infers none). */
const inActivity = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  activityEnv.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
let generateTasks: ReturnType<typeof createGenerateTasks>;
let planValidationTask: ReturnType<typeof createPlanValidationTask>;
let collectArtifacts: ReturnType<typeof createCollectArtifacts>;
let validateGate: ReturnType<typeof createValidateGate>;
let updateContext: ReturnType<typeof createUpdateContext>;
let recordTaskOutcome: ReturnType<typeof createRecordTaskOutcome>;

beforeAll(async () => {
  db = await createTestDatabase();
  generateTasks = createGenerateTasks(db.prisma);
  planValidationTask = createPlanValidationTask(db.prisma);
  collectArtifacts = createCollectArtifacts(db.prisma);
  validateGate = createValidateGate(db.prisma, config);
  updateContext = createUpdateContext(db.prisma);
  recordTaskOutcome = createRecordTaskOutcome(db.prisma);
});
afterAll(() => db?.drop());

const TITLE = 'Export tickets as CSV';

/** A ticket in REQUIREMENTS and its run (entry 1), with one acceptance criterion unless `acceptanceCriteria` says otherwise. */
async function newRun(phase: Phase = Phase.REQUIREMENTS, acceptanceCriteria = ['The list downloads as CSV']): Promise<PhaseRunRef> {
  const ticketId = randomUUID();
  await db.prisma.ticket.create({
    data: {
      id: ticketId,
      title: TITLE,
      description: 'Users export the list.',
      acceptanceCriteria,
      phaseId: phase,
      workflowId: ticketWorkflowId(ticketId),
      version: 1,
    },
  });
  return { ticketId, phase, entry: 1 };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** Marks `taskType` of `run` completed with `result`, at `completedAt` (default now). */
async function complete(run: PhaseRunRef, taskType: string, result: object, completedAt = new Date(), assignedAgent = 'reference') {
  return db.prisma.task.update({
    where: { ticketId_phaseId_phaseEntry_taskType: { ticketId: run.ticketId, phaseId: run.phase, phaseEntry: run.entry, taskType } },
    data: { status: 'completed', result: result, completedAt, assignedAgent },
  });
}

const runRows = {
  tasks: (run: PhaseRunRef) =>
    db.prisma.task.findMany({ where: { ticketId: run.ticketId, phaseId: run.phase, phaseEntry: run.entry }, orderBy: { taskType: 'asc' } }),
  artifacts: (run: PhaseRunRef) =>
    db.prisma.phaseGateArtifact.findMany({
      where: { ticketId: run.ticketId, phaseId: run.phase, phaseEntry: run.entry },
      orderBy: [{ artifactType: 'asc' }, { artifactPath: 'asc' }],
    }),
};

/** A requirements document that meets the seeds' REQUIREMENTS gate (≥ 500 characters, both sections). */
const GOOD_DOCUMENT = [
  `# Requirements: ${TITLE}`,
  '',
  '## Scope',
  '',
  'Users can export the ticket list they are looking at as a CSV file. '.repeat(4),
  '',
  '## Acceptance Criteria',
  '',
  '- The export downloads a CSV file with one row per ticket and a header row.',
  '- Exports stop at 10000 rows and say so in the last line of the file.',
  '- Columns follow the order of the list view, including custom columns.',
].join('\n');

describe('generateTasks', () => {
  it("creates the phase's tasks from the templates once, with dependencies and rendered descriptions", async () => {
    const run = await newRun();
    const first = await inActivity(generateTasks, run);
    const second = await inActivity(generateTasks, run);

    const rows = await runRows.tasks(run);
    expect(rows.map((row) => row.taskType)).toEqual(['analyze_requirements', 'create_requirements_doc']);
    const [analyze, doc] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(analyze).toMatchObject({
      description: `Analyze and clarify requirements for: ${TITLE}`,
      priority: 'HIGH',
      status: 'pending',
      requiredCapabilities: ['analysis'],
      dependencies: [],
    });
    expect(doc).toMatchObject({
      description: `Create requirements document for: ${TITLE}`,
      priority: 'MEDIUM',
      requiredCapabilities: ['documentation'],
      dependencies: [analyze.id],
    });

    expect(second).toEqual(first);
    expect([...first].sort((a, b) => a.taskType.localeCompare(b.taskType))).toEqual([
      { id: analyze.id, taskType: 'analyze_requirements', priority: 'HIGH', status: 'pending', dependencies: [], resources: [] },
      { id: doc.id, taskType: 'create_requirements_doc', priority: 'MEDIUM', status: 'pending', dependencies: [analyze.id], resources: [] },
    ]);
  });

  it('returns the current statuses on a repeat and never resets a completed task', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await complete(run, 'analyze_requirements', { output: { summary: 'done' }, artifacts: [] });
    const again = await inActivity(generateTasks, run);
    expect(again.find((task) => task.taskType === 'analyze_requirements')?.status).toBe('completed');
    expect(await db.prisma.task.count({ where: { ticketId: run.ticketId } })).toBe(2);
  });

  it('keeps runs apart: a new entry of the phase gets new tasks', async () => {
    const run = await newRun();
    const first = await inActivity(generateTasks, run);
    const rerun = await inActivity(generateTasks, { ...run, entry: 3 });
    expect(rerun).toHaveLength(2);
    expect(rerun.map((task) => task.id).filter((id) => first.some((task) => task.id === id))).toEqual([]);
    const rerunDoc = rerun.find((task) => task.taskType === 'create_requirements_doc')!;
    expect(rerunDoc.dependencies).toEqual([rerun.find((task) => task.taskType === 'analyze_requirements')!.id]);
  });

  it('creates nothing for a phase without templates', async () => {
    const run = await newRun(Phase.BACKLOG);
    expect(await inActivity(generateTasks, { ...run, entry: 0 })).toEqual([]);
    expect(await db.prisma.task.count({ where: { ticketId: run.ticketId } })).toBe(0);
  });

  it('skips a disabled template and includes an added active one', async () => {
    await db.prisma.taskTemplate.createMany({
      data: [
        {
          phaseId: Phase.DEPLOYMENT,
          taskType: 'legacy_handover',
          templateDescription: 'Hand over {ticket_title}',
          requiredCapabilities: ['deployment'],
          isActive: false,
        },
        {
          phaseId: Phase.DEPLOYMENT,
          taskType: 'announce_release',
          templateDescription: 'Announce {ticket_title} ({unknown_value})',
          requiredCapabilities: ['deployment'],
        },
      ],
    });
    const run = await newRun(Phase.DEPLOYMENT);
    const planned = await inActivity(generateTasks, run);
    expect(planned.map((task) => task.taskType).sort()).toEqual(['announce_release', 'deploy_feature']);
    const rows = await runRows.tasks(run);
    expect(rows.map((row) => row.taskType)).toEqual(['announce_release', 'deploy_feature']);
    // a placeholder without a value stays visible
    expect(rows[0]!.description).toBe(`Announce ${TITLE} ({unknown_value})`);
  });

  it('fails non-retryably for a ticket that does not exist', async () => {
    const error = await failureOf(inActivity(generateTasks, { ticketId: randomUUID(), phase: Phase.REQUIREMENTS, entry: 1 }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TicketNotFound', nonRetryable: true });
  });
});

describe('planValidationTask', () => {
  it('plans one validate_phase task per run and resets it to pending when planned again', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    const first = await inActivity(planValidationTask, run);
    expect(first).toEqual({ id: expect.any(String), taskType: 'validate_phase', priority: 'HIGH', status: 'pending', dependencies: [], resources: [] });
    const row = await db.prisma.task.findUniqueOrThrow({ where: { id: first.id } });
    expect(row).toMatchObject({ requiredCapabilities: ['validation'], description: `Validate the completion of ${Phase.REQUIREMENTS} for: ${TITLE}` });

    await complete(run, 'validate_phase', { output: { approved: false, reasons: ['x'] }, artifacts: [] });
    await db.prisma.task.update({ where: { id: first.id }, data: { error: 'earlier problem' } });
    const second = await inActivity(planValidationTask, run);
    expect(second).toEqual(first);
    const reset = await db.prisma.task.findUniqueOrThrow({ where: { id: first.id } });
    expect(reset).toMatchObject({ status: 'pending', result: null, error: null, completedAt: null });

    const validations = await db.prisma.task.findMany({ where: { ticketId: run.ticketId, taskType: 'validate_phase' } });
    expect(validations.map((task) => task.id)).toEqual([first.id]);
    // the review is not one of the phase's own tasks
    expect((await inActivity(generateTasks, run)).map((task) => task.taskType).sort()).toEqual(['analyze_requirements', 'create_requirements_doc']);
  });

  it('fails non-retryably for a ticket that does not exist', async () => {
    const error = await failureOf(inActivity(planValidationTask, { ticketId: randomUUID(), phase: Phase.REQUIREMENTS, entry: 1 }));
    expect(error).toMatchObject({ type: 'TicketNotFound', nonRetryable: true });
  });
});

describe('collectArtifacts', () => {
  it("stores the completed tasks' artifacts once, de-duplicated by type and path", async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    const analyze = await complete(
      run,
      'analyze_requirements',
      {
        output: { summary: 'analysed' },
        artifacts: [
          { type: 'requirements_analysis', path: 'docs/analysis.json', content: { deliverables: ['export'] } },
          { type: 'requirements_document', path: 'docs/requirements.md', content: 'draft' },
          { type: 'notes', content: 'no path' },
        ],
      },
      new Date(Date.now() - 60_000),
      'analyst',
    );
    const doc = await complete(
      run,
      'create_requirements_doc',
      { output: { summary: 'written' }, artifacts: [{ type: 'requirements_document', path: 'docs/requirements.md', content: { text: 'final' } }] },
      new Date(Date.now() - 30_000),
      'writer',
    );

    expect(await inActivity(collectArtifacts, run)).toEqual({ collected: 4 });
    const first = await runRows.artifacts(run);
    expect(await inActivity(collectArtifacts, run)).toEqual({ collected: 4 });
    const second = await runRows.artifacts(run);

    expect(second).toEqual(first);
    expect(first.map((row) => [row.artifactType, row.artifactPath])).toEqual([
      ['notes', ''],
      ['requirements_analysis', 'docs/analysis.json'],
      ['requirements_document', 'docs/requirements.md'],
    ]);
    // the later-completed task's version of the same (type, path) wins
    expect(first[2]).toMatchObject({ artifactContent: { text: 'final' }, taskId: doc.id, collectedBy: 'writer', collectedAt: doc.completedAt });
    expect(first[1]).toMatchObject({ taskId: analyze.id, collectedBy: 'analyst', collectedAt: analyze.completedAt });
  });

  it('ignores tasks that did not complete', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await db.prisma.task.updateMany({
      where: { ticketId: run.ticketId },
      data: { status: 'failed', result: { output: {}, artifacts: [{ type: 'requirements_document', content: 'x' }] } },
    });
    expect(await inActivity(collectArtifacts, run)).toEqual({ collected: 0 });
    expect(await runRows.artifacts(run)).toEqual([]);
  });

  it('never overwrites an artifact a person stored later with a re-collection', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await complete(
      run,
      'create_requirements_doc',
      { output: {}, artifacts: [{ type: 'requirements_document', path: 'docs/requirements.md', content: 'agent draft' }] },
      new Date(Date.now() - 10_000),
    );
    await inActivity(collectArtifacts, run);
    const stored = await storeArtifact(db.prisma, run, {
      artifactType: 'requirements_document',
      artifactPath: 'docs/requirements.md',
      content: 'written by a person',
      collectedBy: 'alice',
    });

    await inActivity(collectArtifacts, run);
    const rows = await runRows.artifacts(run);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: stored.id,
      artifactContent: 'written by a person',
      collectedBy: 'alice',
      taskId: null,
      collectedAt: stored.collectedAt,
    });
  });
});

describe('validateGate', () => {
  it('fails a short requirements document with reasons naming artifact and criterion, once per attempt', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    const shortText = '## Scope\n\nExport the list.';
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: { text: shortText } });

    const verdict = await inActivity(validateGate, { ...run, attempt: 1 });
    expect(verdict).toMatchObject({ status: 'failed', requirementsMet: false, attempt: 1, missingArtifacts: [], validation: null });
    expect(verdict.blockingReasons).toEqual([
      `requirements_document: minLength 500 not met (${shortText.length} characters)`,
      'requirements_document: requiredSections: section "acceptance_criteria" missing',
      'requiredTasksCompleted: 2 of 2 tasks not completed (analyze_requirements is pending, create_requirements_doc is pending)',
    ]);

    // Same round again, even after the document improved: the stored verdict, no second row.
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: GOOD_DOCUMENT });
    const repeated = await inActivity(validateGate, { ...run, attempt: 1 });
    expect(repeated).toEqual(verdict);
    const rows = await db.prisma.phaseGateResult.findMany({ where: { ticketId: run.ticketId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempt: 1, gateStatus: 'failed', blockingReasons: verdict.blockingReasons });
  });

  it('fails a document whose Acceptance Criteria section is empty, and a ticket without criteria, asking the question (issue 11)', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await complete(run, 'analyze_requirements', { output: {}, artifacts: [] });
    await complete(run, 'create_requirements_doc', { output: {}, artifacts: [] });
    const empty = GOOD_DOCUMENT.replace(/## Acceptance Criteria[\s\S]*/, `## Acceptance Criteria\n\n## Notes\n\n${'Criteria to be agreed. '.repeat(20)}`);
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: empty });
    const verdict = await inActivity(validateGate, { ...run, attempt: 1 });
    expect(verdict).toMatchObject({
      status: 'failed',
      blockingReasons: ['requirements_document: nonEmptySections: section "acceptance_criteria" is empty'],
      clarification: clarificationQuestion(`"${TITLE}"`),
    });

    const vague = await newRun(Phase.REQUIREMENTS, []);
    await inActivity(generateTasks, vague);
    await complete(vague, 'analyze_requirements', { output: {}, artifacts: [] });
    await complete(vague, 'create_requirements_doc', { output: {}, artifacts: [] });
    await storeArtifact(db.prisma, vague, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: GOOD_DOCUMENT });
    expect(await inActivity(validateGate, { ...vague, attempt: 1 })).toMatchObject({
      status: 'failed',
      blockingReasons: ['ticket: acceptanceCriteria: the ticket has no acceptance criteria, so completion cannot be verified'],
      clarification: clarificationQuestion(`"${TITLE}"`),
    });
  });

  it('names a missing required artifact', async () => {
    const run = await newRun();
    const verdict = await inActivity(validateGate, { ...run, attempt: 1, validatedBy: 'tester' });
    expect(verdict).toMatchObject({ status: 'failed', missingArtifacts: ['requirements_document'] });
    expect(verdict.blockingReasons).toContain('requirements_document: required artifact missing');
    expect(await db.prisma.phaseGateResult.findFirstOrThrow({ where: { ticketId: run.ticketId } })).toMatchObject({ validatedBy: 'tester' });
  });

  it('passes a later attempt once the document meets the criteria and every task completed', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: 'too short' });
    expect(await inActivity(validateGate, { ...run, attempt: 1 })).toMatchObject({ status: 'failed' });

    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: GOOD_DOCUMENT });
    await complete(run, 'analyze_requirements', { output: {}, artifacts: [] });
    await complete(run, 'create_requirements_doc', { output: {}, artifacts: [] });
    const verdict = await inActivity(validateGate, { ...run, attempt: 2 });
    expect(verdict).toEqual({ status: 'passed', requirementsMet: true, attempt: 2, missingArtifacts: [], blockingReasons: [], validation: null });
    const rows = await db.prisma.phaseGateResult.findMany({ where: { ticketId: run.ticketId }, orderBy: { attempt: 'asc' } });
    expect(rows.map((row) => [row.attempt, row.gateStatus])).toEqual([
      [1, 'failed'],
      [2, 'passed'],
    ]);
  });

  it("fails when the validation agent did not approve, with the agent's reasons", async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: GOOD_DOCUMENT });
    await complete(run, 'analyze_requirements', { output: {}, artifacts: [] });
    await complete(run, 'create_requirements_doc', { output: {}, artifacts: [] });
    await inActivity(planValidationTask, run);
    await complete(run, 'validate_phase', { output: { approved: false, reasons: ['x'] }, artifacts: [] }, new Date(), 'reviewer');

    const verdict = await inActivity(validateGate, { ...run, attempt: 1 });
    expect(verdict).toMatchObject({
      status: 'failed',
      requirementsMet: false,
      blockingReasons: ['validation_agent: x'],
      validation: { approved: false, reasons: ['x'], agent: 'reviewer' },
    });

    // an approval on the next round passes the gate
    await inActivity(planValidationTask, run);
    await complete(run, 'validate_phase', { output: { approved: true, reasons: [] }, artifacts: [] }, new Date(), 'reviewer');
    expect(await inActivity(validateGate, { ...run, attempt: 2 })).toMatchObject({ status: 'passed', blockingReasons: [] });
  });

  it('fails when the validation agent did not complete its review', async () => {
    const run = await newRun(Phase.DESIGN); // DESIGN has no gate requirements of its own
    await inActivity(planValidationTask, run);
    await db.prisma.task.updateMany({ where: { ticketId: run.ticketId, taskType: 'validate_phase' }, data: { status: 'failed', error: 'boom' } });
    const verdict = await inActivity(validateGate, { ...run, attempt: 1 });
    expect(verdict).toMatchObject({ status: 'failed', blockingReasons: ['validation_agent: did not complete its review (failed: boom)'] });
  });
});

describe('updateContext', () => {
  async function completedRequirementsRun(): Promise<PhaseRunRef> {
    const run = await newRun();
    await inActivity(generateTasks, run);
    await complete(run, 'analyze_requirements', {
      output: {
        summary: 'Found 2 deliverables',
        context: {
          acceptance_criteria: ['CSV downloads', 'At most 10000 rows'],
          risks: ['Large exports are slow'],
          scope_clarifications: ['Only the list view'],
        },
      },
      artifacts: [],
    });
    await complete(run, 'create_requirements_doc', {
      output: {
        summary: 'Wrote docs/requirements.md',
        context: {
          acceptance_criteria: ['At most 10000 rows', 'Header row included'],
          key_decisions: ['Use RFC 4180 quoting'],
          requirements_doc: GOOD_DOCUMENT,
        },
      },
      artifacts: [],
    });
    await storeArtifact(db.prisma, run, { artifactType: 'requirements_document', artifactPath: 'docs/requirements.md', content: GOOD_DOCUMENT });
    return run;
  }

  it("aggregates the run's context into one phase_context row and the ticket's context, idempotently", async () => {
    const run = await completedRequirementsRun();
    // the validation agent's review does not feed the context
    await inActivity(planValidationTask, run);
    await complete(run, 'validate_phase', { output: { summary: 'approved', context: { risks: ['from the reviewer'] } }, artifacts: [] });

    const first = await inActivity(updateContext, run);
    const ticketAfterFirst = await db.prisma.ticket.findUniqueOrThrow({ where: { id: run.ticketId } });
    const second = await inActivity(updateContext, run);
    const ticket = await db.prisma.ticket.findUniqueOrThrow({ where: { id: run.ticketId } });

    expect(second).toEqual(first);
    expect(ticket.context).toEqual(ticketAfterFirst.context);
    const rows = await db.prisma.phaseContext.findMany({ where: { ticketId: run.ticketId } });
    expect(rows).toHaveLength(1);

    const expected = {
      acceptance_criteria: ['CSV downloads', 'At most 10000 rows', 'Header row included'],
      risks: ['Large exports are slow'],
      scope_clarifications: ['Only the list view'],
      key_decisions: ['Use RFC 4180 quoting'],
      requirements_doc: GOOD_DOCUMENT,
      task_summaries: ['Found 2 deliverables', 'Wrote docs/requirements.md'],
      artifacts: ['requirements_document (docs/requirements.md)'],
    };
    expect(first.key).toBe('requirements_phase');
    expect(rows[0]).toMatchObject({
      phaseId: Phase.REQUIREMENTS,
      phaseEntry: 1,
      contextData: expected,
      contextSummary: first.summary,
      summaryTokens: first.summaryTokens,
    });
    expect(ticket.context).toEqual({ requirements_phase: expected, summary: first.summary });
    expect(ticket.contextSummary).toBe(first.summary);

    expect(first.summaryTokens).toBeLessThanOrEqual(2000);
    expect(first.summaryTokens).toBe(countTokens(first.summary));
    expect(first.summary).toContain('Acceptance criterion (requirements phase): Header row included');
    expect(first.summary).toContain('Decision (requirements phase): Use RFC 4180 quoting');
    expect(first.summary).not.toContain('from the reviewer');
  });

  it('keeps the summary within a small budget, key points first', async () => {
    const run = await completedRequirementsRun();
    const update = await inActivity(createUpdateContext(db.prisma, 50), run);
    expect(update.summaryTokens).toBeLessThanOrEqual(50);
    expect(countTokens(update.summary)).toBe(update.summaryTokens);
    const lines = update.summary.split('\n');
    expect(lines[0]).toBe('Decision (requirements phase): Use RFC 4180 quoting');
    expect(lines[1]).toBe('Risk (requirements phase): Large exports are slow');
    expect(lines[2]).toMatch(/^Acceptance criterion \(requirements phase\): /);
    expect(update.summary).not.toContain('## Scope'); // the document did not fit
    expect(update.summary.endsWith('…')).toBe(true);
    const ticket = await db.prisma.ticket.findUniqueOrThrow({ where: { id: run.ticketId } });
    expect(ticket.contextSummary).toBe(update.summary);
  });

  it('fails non-retryably for a ticket that does not exist', async () => {
    const error = await failureOf(inActivity(updateContext, { ticketId: randomUUID(), phase: Phase.REQUIREMENTS, entry: 1 }));
    expect(error).toMatchObject({ type: 'TicketNotFound', nonRetryable: true });
  });
});

describe('recordTaskOutcome', () => {
  it('marks a task failed with its error and forgets its task token, idempotently', async () => {
    const run = await newRun();
    const [task] = await inActivity(generateTasks, run);
    await db.prisma.task.update({ where: { id: task!.id }, data: { status: 'running', taskToken: Buffer.from('token') } });
    const outcome = { taskId: task!.id, status: 'failed' as const, error: 'AgentProcessFailed: killed by SIGKILL (attempt 3 of 3)' };
    await inActivity(recordTaskOutcome, outcome);
    await inActivity(recordTaskOutcome, outcome);
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: task!.id } })).toMatchObject({
      status: 'failed',
      error: 'AgentProcessFailed: killed by SIGKILL (attempt 3 of 3)',
      taskToken: null,
    });
  });

  it('never overwrites a completed task', async () => {
    const run = await newRun();
    await inActivity(generateTasks, run);
    const completed = await complete(run, 'analyze_requirements', { output: { summary: 'done' }, artifacts: [] });
    await inActivity(recordTaskOutcome, { taskId: completed.id, status: 'cancelled', error: 'ticket left the phase' });
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: completed.id } })).toEqual(completed);
  });
});
