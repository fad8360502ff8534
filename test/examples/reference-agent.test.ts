/**
 * The reference agent (examples/agents/reference-agent.mjs), run as the command backend runs it:
 * one child process per task, cwd = the ticket's working tree (a real git clone of a remote seeded
 * from examples/repository, on the ticket's branch), one JSON request on stdin, one JSON result on
 * stdout. The agent runs no tests; here, as the orchestrator does, the repository's own `npm test`
 * runs in the tree after the agent's tasks (set up once per file with `npm ci`, its node_modules
 * linked into each tree), and its reports are judged with the orchestrator's own gates.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { PHASE_GATE_REQUIREMENTS, evaluateGate, type GateArtifact } from '../../src/phase-work/gates';
import { ensureSeededRemote } from '../../src/repositories/embedded';
import { Phase } from '../../src/ticket/phases';

const AGENT = path.resolve(__dirname, '../../examples/agents/reference-agent.mjs');
const EXAMPLE = path.resolve(__dirname, '../../examples/repository');
/** The main job's input (see src/jobs/roadmap-file.ts); checked only where it exists. */
const ROADMAP_FILE = path.resolve(__dirname, '../../../shared/data/roadmap-tickets.json');

interface Ticket {
  id?: string;
  externalId: string | null;
  title: string;
  description: string;
  priority: string;
  labels: string[];
  acceptanceCriteria: string[];
}

/** An artifact as the agent returns it; `content` is whatever the task produced. */
interface Artifact extends GateArtifact {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON the assertions walk into
  content: any;
}

interface AgentResult {
  status: 'completed' | 'failed';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON the assertions walk into
  output: { summary: string; context: Record<string, any>; [key: string]: any };
  artifacts: Artifact[];
  error?: string;
  retryable: boolean;
}

/** Extra request fields: dependencies, artifacts, context summary. */
type RequestExtras = { dependencies?: unknown[]; artifacts?: unknown[]; contextSummary?: string };

const RICH: Ticket = {
  externalId: 'ROADMAP-1.1',
  title: 'Task Dependencies & Blocking',
  description:
    'Deliverables:\n- Add `dependencies` JSONB field to Task model\n- Implement dependency resolution in TaskQueueService\n' +
    '- Add `blocked_by` and `blocks` relationships\n- Update `get_next_task()` to respect dependencies\n' +
    '- Tests: Task dependency resolution, blocking detection',
  priority: 'CRITICAL',
  labels: ['roadmap-phase-1', 'week-1'],
  acceptanceCriteria: [
    'Can create tasks with dependencies',
    'Tasks only assigned when dependencies complete',
    'Circular dependency detection',
    'All tests pass',
  ],
};

const TERSE: Ticket = {
  externalId: null,
  title: 'Fix typo',
  description: 'Typo in header',
  priority: 'LOW',
  labels: [],
  acceptanceCriteria: ['Header reads correctly'],
};

/** Everything this file creates: the remote, the shared set-up, the trees. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-agent-'));
const remote = path.join(root, 'example.git');
/** Where `npm ci` ran once; trees link its node_modules (as the orchestrator shares a set-up). */
const setup = path.join(root, 'setup');
let trees = 0;

beforeAll(async () => {
  await ensureSeededRemote(remote, EXAMPLE, 'main');
  await simpleGit({ baseDir: root }).clone(remote, setup);
  const install = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: setup, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm ci exited with ${install.status}: ${install.stderr}`);
}, 600_000);

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh, empty directory (a workspace without a repository), removed after the file's tests. */
function tempWorkspace(): string {
  return fs.mkdtempSync(path.join(root, 'plain-'));
}

/** A working tree of the example repository on the new branch `tickets/<key>`, as the orchestrator prepares it. */
async function ticketTree(key: string): Promise<string> {
  const tree = path.join(root, `tree-${++trees}`);
  await simpleGit({ baseDir: root }).clone(remote, tree);
  await simpleGit({ baseDir: tree }).checkoutLocalBranch(`tickets/${key}`);
  fs.symlinkSync(path.join(setup, 'node_modules'), path.join(tree, 'node_modules'));
  return tree;
}

/** What `git status` shows changed in `tree` (paths git would commit; ignored files excluded). */
async function changedFiles(tree: string): Promise<string[]> {
  const status = await simpleGit({ baseDir: tree }).raw(['status', '--porcelain', '--untracked-files=all']);
  return status
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3))
    .sort();
}

/** Jest's `--json` report, as far as these tests read it. */
interface JestReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numTotalTestSuites: number;
  testResults: { name: string; status: string; message: string; assertionResults: { fullName: string; status: string }[] }[];
}

/** Istanbul's coverage summary: `total` and one entry per absolute file path. */
type CoverageSummary = Record<string, { lines: { pct: number; covered: number; total: number } }>;

/** Runs the repository's own test command in `tree`, as configured for the example repository, and reads its reports. */
function repositoryTests(tree: string): { exitCode: number | null; report: JestReport; coverage: CoverageSummary } {
  const run = spawnSync('npm', ['test', '--silent'], { cwd: tree, encoding: 'utf8' });
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(tree, file), 'utf8'));
  return { exitCode: run.status, report: read('reports/jest.json') as JestReport, coverage: read('reports/coverage/coverage-summary.json') as CoverageSummary };
}

/** The `test_results` artifact the orchestrator makes of a Jest report (the shape of its TestResults, as far as the checks read it). */
function resultsArtifact(tree: string, report: JestReport): Artifact {
  const failures = report.testResults.flatMap((suite) => {
    const file = path.relative(fs.realpathSync(tree), suite.name);
    const failed = suite.assertionResults.filter((test) => test.status === 'failed').map((test) => `${file}: ${test.fullName}`);
    return suite.status === 'failed' && failed.length === 0 ? [`${file}: test file failed to run`] : failed;
  });
  const { numTotalTests, numPassedTests, numFailedTests, success } = report;
  return {
    type: 'test_results',
    path: 'reports/jest.json',
    content: { format: 'jest-json', numTotalTests, numPassedTests, numFailedTests, success, failures },
  };
}

/** Runs the agent in `cwd` with `input` on stdin. */
function spawnAgent(cwd: string, input: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [AGENT], { cwd, input, encoding: 'utf8' });
}

/** Runs one task in `ws` and returns the agent's result, checking the process contract on the way. */
function runAgent(ws: string, taskType: string, phase: string, ticket: Ticket, extras: RequestExtras = {}): AgentResult {
  const request = {
    protocol: 'ticket-orchestrator/agent-v1',
    task: { id: 'task-1', taskType, phase, description: `${taskType} for: ${ticket.title}`, priority: 'HIGH', requiredCapabilities: [], attempt: 1 },
    ticket: { id: '7a1c9a52-3f0e-4d53-9a53-0d1f1e6f2b11', ...ticket },
    contextSummary: '',
    dependencies: [],
    artifacts: [],
    workspace: ws,
    ...extras,
  };
  const run = spawnAgent(ws, JSON.stringify(request));
  if (run.status !== 0) throw new Error(`agent exited with ${run.status}: ${run.stderr}`);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  for (const line of run.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\[reference-agent\] /);
  return JSON.parse(run.stdout) as AgentResult;
}

/** The artifact of `type` in a result. */
function artifactOf(result: AgentResult, type: string): Artifact {
  const found = result.artifacts.find((artifact) => artifact.type === type);
  if (!found) throw new Error(`no ${type} artifact in ${JSON.stringify(result.artifacts.map((artifact) => artifact.type))}`);
  return found;
}

/** The gate of `phase` evaluated on `artifacts`, with every task of the phase completed. */
function gate(phase: Phase, artifacts: GateArtifact[]) {
  return evaluateGate(PHASE_GATE_REQUIREMENTS[phase], artifacts, [{ taskType: 'any', status: 'completed' }]);
}

/** SHA-256 of a workspace file. */
function sha256(ws: string, file: string): string {
  return createHash('sha256')
    .update(fs.readFileSync(path.join(ws, file)))
    .digest('hex');
}

describe('requirements phase', () => {
  it('analyze_requirements parses the deliverables and computes the risks from the ticket text', async () => {
    const ws = await ticketTree('ROADMAP-1.1');
    const result = runAgent(ws, 'analyze_requirements', Phase.REQUIREMENTS, RICH);

    expect(result.status).toBe('completed');
    expect(result.output.deliverables).toHaveLength(5);
    expect(result.output.deliverables[0]).toBe('Add `dependencies` JSONB field to Task model');
    expect(result.output.risks).toEqual(["Deliverable 'Add `blocked_by` and `blocks` relationships' has no acceptance criterion that covers it"]);
    expect(result.output.context).toEqual({
      scope_clarifications: result.output.deliverables,
      acceptance_criteria: RICH.acceptanceCriteria,
      risks: result.output.risks,
    });
    const analysis = artifactOf(result, 'requirements_analysis');
    expect(analysis.path).toBe('docs/tickets/ROADMAP-1.1/requirements-analysis.json');
    expect(JSON.parse(fs.readFileSync(path.join(ws, analysis.path), 'utf8'))).toEqual(analysis.content);
  });

  it('analyze_requirements flags a ticket without acceptance criteria, falling back to sentences for deliverables', () => {
    const result = runAgent(tempWorkspace(), 'analyze_requirements', Phase.REQUIREMENTS, {
      ...TERSE,
      description: 'Typo in header. Also in footer.',
      acceptanceCriteria: [],
    });

    expect(result.output.deliverables).toEqual(['Typo in header', 'Also in footer']);
    expect(result.output.risks).toEqual(['The ticket has no acceptance criteria; completion cannot be verified']);
  });

  it('create_requirements_doc writes a document the requirements gate accepts at the conventional path, using the analysis it depends on', async () => {
    const ws = await ticketTree('ROADMAP-1.1');
    const analysis = { deliverables: ['Add `dependencies` JSONB field to Task model'], risks: ['Schema migration may lock the Task table'] };
    const result = runAgent(ws, 'create_requirements_doc', Phase.REQUIREMENTS, RICH, {
      dependencies: [{ taskType: 'analyze_requirements', output: analysis }],
    });

    expect(result.status).toBe('completed');
    const document = artifactOf(result, 'requirements_document');
    const text: string = document.content.text;
    expect(document).toMatchObject({ path: 'docs/tickets/ROADMAP-1.1/requirements.md', content: { format: 'markdown' } });
    expect(fs.readFileSync(path.join(ws, 'docs/tickets/ROADMAP-1.1/requirements.md'), 'utf8')).toBe(text);
    expect(await changedFiles(ws)).toEqual(['docs/tickets/ROADMAP-1.1/requirements.md']);
    expect(text.length).toBeGreaterThanOrEqual(500);
    expect(text).toMatch(/^# Requirements: Task Dependencies & Blocking\n/);
    for (const heading of ['## Scope', '## Acceptance Criteria', '## Analysis']) expect(text.split('\n')).toContain(heading);
    for (const criterion of RICH.acceptanceCriteria) expect(text).toContain(`- ${criterion}`);
    expect(text).toContain('- Schema migration may lock the Task table');
    expect(result.output.context.requirements_doc).toBe(text);
    expect(result.output.context.key_decisions).toContain('Scope limited to 1 deliverable');
    expect(gate(Phase.REQUIREMENTS, result.artifacts)).toEqual({ requirementsMet: true, missingArtifacts: [], blockingReasons: [] });
  });

  it('create_requirements_doc works without the analysis, computing it from the ticket', () => {
    const result = runAgent(tempWorkspace(), 'create_requirements_doc', Phase.REQUIREMENTS, RICH);

    const text: string = artifactOf(result, 'requirements_document').content.text;
    expect(text).toContain("- Deliverable 'Add `blocked_by` and `blocks` relationships' has no acceptance criterion that covers it");
    expect(result.output.context.key_decisions).toContain('Scope limited to 5 deliverables');
  });

  it('create_requirements_doc writes a short document for a terse ticket under its ID, which the gate blocks on length only', () => {
    const result = runAgent(tempWorkspace(), 'create_requirements_doc', Phase.REQUIREMENTS, TERSE);

    const text: string = artifactOf(result, 'requirements_document').content.text;
    expect(artifactOf(result, 'requirements_document').path).toBe('docs/tickets/7a1c9a52-3f0e-4d53-9a53-0d1f1e6f2b11/requirements.md');
    expect(text.length).toBeLessThan(500);
    expect(gate(Phase.REQUIREMENTS, result.artifacts).blockingReasons).toEqual([`requirements_document: minLength 500 not met (${text.length} characters)`]);
  });

  (fs.existsSync(ROADMAP_FILE) ? it : it.skip)('create_requirements_doc reaches 500 characters for every roadmap ticket', () => {
    const { tickets } = JSON.parse(fs.readFileSync(ROADMAP_FILE, 'utf8')) as { tickets: Ticket[] };
    const ws = tempWorkspace();
    const lengths = tickets.map(
      (ticket) => artifactOf(runAgent(ws, 'create_requirements_doc', Phase.REQUIREMENTS, ticket), 'requirements_document').content.text.length as number,
    );
    expect(lengths).toHaveLength(24);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(500);
  });

  it('validate_phase approves a document naming every criterion and names the criteria a document misses', () => {
    const ws = tempWorkspace();
    const document = artifactOf(runAgent(ws, 'create_requirements_doc', Phase.REQUIREMENTS, RICH), 'requirements_document');
    const approved = runAgent(ws, 'validate_phase', Phase.REQUIREMENTS, RICH, { artifacts: [document] });
    const missing = runAgent(
      ws,
      'validate_phase',
      Phase.REQUIREMENTS,
      { ...RICH, acceptanceCriteria: [...RICH.acceptanceCriteria, 'Deadlocks are reported'] },
      { artifacts: [document] },
    );

    expect(approved).toMatchObject({ status: 'completed', artifacts: [], output: { approved: true, reasons: [] } });
    expect(missing).toMatchObject({
      status: 'completed',
      output: { approved: false, reasons: ["requirements_document: acceptance criterion 'Deadlocks are reported' not mentioned"] },
    });
  });
});

describe('a ticket without acceptance criteria (issue 11)', () => {
  const vague = { ...RICH, acceptanceCriteria: [] };

  it('create_requirements_doc leaves the Acceptance Criteria section empty, which the gate refuses', () => {
    const result = runAgent(tempWorkspace(), 'create_requirements_doc', Phase.REQUIREMENTS, vague);
    const text: string = artifactOf(result, 'requirements_document').content.text;
    expect(text).toMatch(/\n## Acceptance Criteria\n\n## Analysis\n/);
    expect(gate(Phase.REQUIREMENTS, result.artifacts).blockingReasons).toEqual([
      'requirements_document: nonEmptySections: section "acceptance_criteria" is empty',
    ]);
  });

  it('validate_phase approves nothing it cannot check, in any phase', () => {
    const ws = tempWorkspace();
    const document = artifactOf(runAgent(ws, 'create_requirements_doc', Phase.REQUIREMENTS, RICH), 'requirements_document');
    for (const phase of [Phase.REQUIREMENTS, Phase.TESTING, Phase.DEPLOYMENT]) {
      expect(runAgent(ws, 'validate_phase', phase, vague, { artifacts: [document] }).output).toMatchObject({
        approved: false,
        reasons: expect.arrayContaining(['ticket: no acceptance criteria, so the phase cannot be checked against them']),
      });
    }
  });
});

describe('design phase', () => {
  it('design_architecture writes components, one decision per deliverable, and the risks of the ticket and the context', async () => {
    const ws = await ticketTree('ROADMAP-1.1');
    const contextSummary = 'Acceptance criterion (requirements phase): All tests pass\nRisk (requirements phase): Queue ordering may change';
    const result = runAgent(ws, 'design_architecture', Phase.DESIGN, RICH, { contextSummary });

    const text: string = artifactOf(result, 'design_document').content.text;
    expect(artifactOf(result, 'design_document').path).toBe('docs/tickets/ROADMAP-1.1/design.md');
    expect(fs.readFileSync(path.join(ws, 'docs/tickets/ROADMAP-1.1/design.md'), 'utf8')).toBe(text);
    expect(await changedFiles(ws)).toEqual(['docs/tickets/ROADMAP-1.1/design.md']);
    for (const heading of ['## Components', '## Decisions', '## Risks']) expect(text.split('\n')).toContain(heading);
    expect(result.output.context.architecture_doc).toBe(text);
    expect(result.output.context.design_decisions).toContain(
      "Deliverable 'Implement dependency resolution in TaskQueueService' is implemented in module `src/tickets/roadmap-1-1.js`",
    );
    expect(result.output.context.design_decisions).toHaveLength(6);
    expect(text).toContain('- Queue ordering may change');
    expect(text).toContain("- Deliverable 'Add `blocked_by` and `blocks` relationships' has no acceptance criterion that covers it");
  });
});

describe('a ticket worked in the example repository, checked by the repository’s own tests', () => {
  const moduleFile = 'src/tickets/roadmap-1-1.js';
  const testFile = 'test/tickets/roadmap-1-1.test.js';
  const acceptanceFile = 'test/tickets/roadmap-1-1.acceptance.test.js';
  /** The test_evidence the testing gate requires besides the results (its content is not judged). */
  const evidence: Artifact = { type: 'test_evidence', path: 'reports/jest.json', content: { text: 'npm test --silent', reportPath: 'reports/jest.json' } };
  let ws: string;
  let codeChanges: Artifact;

  beforeAll(async () => {
    ws = await ticketTree('ROADMAP-1.1');
  });

  it('implement_feature writes the ticket module and its unit tests, claiming no test results, and validate_phase approves', async () => {
    const result = runAgent(ws, 'implement_feature', Phase.IMPLEMENTATION, RICH);

    expect(result.status).toBe('completed');
    expect(result.artifacts.map((artifact) => artifact.type)).toEqual(['code_changes']);
    codeChanges = artifactOf(result, 'code_changes');
    const changes = codeChanges.content.files as { path: string; bytes: number; sha256: string }[];
    expect(changes.map((file) => file.path)).toEqual([moduleFile, testFile]);
    for (const file of changes) expect(file).toEqual({ path: file.path, bytes: fs.statSync(path.join(ws, file.path)).size, sha256: sha256(ws, file.path) });
    expect(await changedFiles(ws)).toEqual([moduleFile, testFile]);
    expect(Object.keys(result.output).sort()).toEqual(['context', 'files', 'summary']);
    expect(result.output.context.key_implementations[0]).toMatch(/^src\/tickets\/roadmap-1-1\.js: /);
    expect(runAgent(ws, 'validate_phase', Phase.IMPLEMENTATION, RICH, { artifacts: result.artifacts }).output).toMatchObject({ approved: true });
  });

  it('the repository’s tests then pass with every line of the ticket module covered, which the implementation gate accepts', () => {
    const { exitCode, report, coverage } = repositoryTests(ws);

    expect(exitCode).toBe(0);
    expect(report).toMatchObject({ success: true, numFailedTests: 0, numTotalTestSuites: 2 });
    expect(report.numPassedTests).toBe(report.numTotalTests);
    expect(report.testResults.map((suite) => path.relative(fs.realpathSync(ws), suite.name)).sort()).toEqual(['test/checklist.test.js', testFile]);
    expect(coverage[path.join(fs.realpathSync(ws), moduleFile)]?.lines.pct).toBe(100);
    expect(coverage.total?.lines.pct).toBe(100);
    expect(gate(Phase.IMPLEMENTATION, [codeChanges, { type: 'test_coverage', content: coverage }]).blockingReasons).toEqual([]);
  });

  it('write_tests writes one acceptance test per criterion', () => {
    const result = runAgent(ws, 'write_tests', Phase.TESTING, RICH);

    expect(result.output.context.test_plan).toEqual(RICH.acceptanceCriteria);
    expect(artifactOf(result, 'test_suite').content.files).toEqual([{ path: acceptanceFile, bytes: expect.any(Number), sha256: sha256(ws, acceptanceFile) }]);
    const source = fs.readFileSync(path.join(ws, acceptanceFile), 'utf8');
    expect(source.match(/^\s*it\(/gm)).toHaveLength(RICH.acceptanceCriteria.length);
  });

  it('run_tests names the ticket’s test files and claims nothing about results', () => {
    const result = runAgent(ws, 'run_tests', Phase.TESTING, RICH);

    expect(result).toMatchObject({ status: 'completed', artifacts: [], output: { testFiles: [acceptanceFile, testFile] } });
    expect(result.output.summary).toBe(`The orchestrator runs the repository's tests; the ticket's test files: ${acceptanceFile}, ${testFile}`);
  });

  it('the repository’s tests then pass with one passing acceptance test per criterion, which the testing gate and validate_phase accept', () => {
    const { exitCode, report, coverage } = repositoryTests(ws);

    expect(exitCode).toBe(0);
    expect(report).toMatchObject({ success: true, numFailedTests: 0, numTotalTestSuites: 3 });
    expect(report.numPassedTests).toBe(report.numTotalTests);
    const acceptance = report.testResults.find((suite) => suite.name === path.join(fs.realpathSync(ws), acceptanceFile));
    expect(acceptance?.assertionResults.map((test) => [test.fullName, test.status])).toEqual(
      RICH.acceptanceCriteria.map((criterion) => [`Acceptance criteria of ROADMAP-1.1: Task Dependencies & Blocking acceptance: ${criterion}`, 'passed']),
    );
    expect(coverage.total?.lines.pct).toBe(100);
    const results = resultsArtifact(ws, report);
    expect(gate(Phase.TESTING, [results, evidence]).blockingReasons).toEqual([]);
    expect(runAgent(ws, 'validate_phase', Phase.TESTING, RICH, { artifacts: [results, evidence] }).output).toMatchObject({ approved: true, reasons: [] });
  });

  it('deploy_feature records every file under src/ with its hash, in a build output git does not commit', async () => {
    const result = runAgent(ws, 'deploy_feature', Phase.DEPLOYMENT, RICH);

    const release = JSON.parse(fs.readFileSync(path.join(ws, 'dist/release.json'), 'utf8'));
    expect(artifactOf(result, 'deployment_record')).toEqual({ type: 'deployment_record', path: 'dist/release.json', content: release });
    expect(release).toMatchObject({ ticket: 'ROADMAP-1.1', title: RICH.title });
    expect(release.files).toEqual(
      ['src/checklist.js', moduleFile].map((file) => ({
        path: file,
        bytes: fs.statSync(path.join(ws, file)).size,
        sha256: sha256(ws, file),
      })),
    );
    expect(runAgent(ws, 'validate_phase', Phase.DEPLOYMENT, RICH, { artifacts: result.artifacts }).output.approved).toBe(true);
    // dist/, reports/ and the linked node_modules stay out of the commit the orchestrator makes.
    expect(await changedFiles(ws)).toEqual([moduleFile, acceptanceFile, testFile]);
  });

  it('a broken library shows in the repository’s tests, which validate_phase rejects, while the agent claims nothing', () => {
    const library = path.join(ws, 'src/checklist.js');
    fs.writeFileSync(library, fs.readFileSync(library, 'utf8').replace('percent: Math.floor(', 'percent: 1 + Math.floor('));

    expect(runAgent(ws, 'run_tests', Phase.TESTING, RICH)).toMatchObject({ status: 'completed', artifacts: [] });
    const { exitCode, report } = repositoryTests(ws);
    expect(exitCode).not.toBe(0);
    expect(report.numFailedTests).toBeGreaterThan(0);
    const results = resultsArtifact(ws, report);
    expect(results.content.failures).toContain('test/checklist.test.js: a checklist starts with nothing done');
    expect(gate(Phase.TESTING, [results, evidence]).requirementsMet).toBe(false);
    expect(runAgent(ws, 'validate_phase', Phase.TESTING, RICH, { artifacts: [results, evidence] }).output.approved).toBe(false);
  });
});

describe('testing before implementation', () => {
  it('write_tests alone leaves an acceptance file that cannot run: the repository’s tests fail and validate_phase names the run', async () => {
    const ws = await ticketTree('7a1c9a52');
    const acceptanceFile = 'test/tickets/fix-typo.acceptance.test.js';
    runAgent(ws, 'write_tests', Phase.TESTING, TERSE);
    expect(await changedFiles(ws)).toEqual([acceptanceFile]);

    const { exitCode, report } = repositoryTests(ws);
    expect(exitCode).not.toBe(0);
    expect(report).toMatchObject({ success: false, numFailedTests: 0 });
    const failed = report.testResults.filter((suite) => suite.status === 'failed');
    expect(failed.map((suite) => path.relative(fs.realpathSync(ws), suite.name))).toEqual([acceptanceFile]);
    expect(failed[0]?.message).toContain('Cannot find module');
    const results = resultsArtifact(ws, report);
    expect(results.content.failures).toEqual([`${acceptanceFile}: test file failed to run`]);
    const validation = runAgent(ws, 'validate_phase', Phase.TESTING, TERSE, { artifacts: [results] });
    expect(validation.output.approved).toBe(false);
    expect(validation.output.reasons).toEqual([expect.stringMatching(/^test_results: failures: /)]);
  });

  it('deploy_feature fails when there is nothing under src/', () => {
    const result = runAgent(tempWorkspace(), 'deploy_feature', Phase.DEPLOYMENT, TERSE);
    expect(result).toMatchObject({ status: 'failed', retryable: false, error: 'nothing to deploy: the workspace has no files under src/' });
  });
});

describe('validate_phase on other evidence', () => {
  it('rejects code changes outside src/tickets/ and a phase without artifacts, naming the artifact', () => {
    const ws = tempWorkspace();
    const changes = { type: 'code_changes', path: 'src/x.js', content: { files: [{ path: 'src/x.js' }] } };
    expect(runAgent(ws, 'validate_phase', Phase.IMPLEMENTATION, RICH, { artifacts: [changes] }).output).toMatchObject({
      approved: false,
      reasons: ['code_changes: no file under src/tickets/'],
    });
    expect(runAgent(ws, 'validate_phase', Phase.DESIGN, RICH).output).toMatchObject({ approved: false, reasons: ['PHASE_DESIGN: no artifacts'] });
    expect(runAgent(ws, 'validate_phase', Phase.TESTING, RICH).output).toMatchObject({ approved: false, reasons: ['test_results: artifact missing'] });
  });
});

describe('protocol', () => {
  it('answers an unknown task type with a failed, non-retryable result and exit code 0', () => {
    const result = runAgent(tempWorkspace(), 'paint_fence', Phase.DESIGN, TERSE);
    expect(result).toMatchObject({ status: 'failed', retryable: false, error: 'unsupported task type: paint_fence', artifacts: [] });
  });

  it('exits with 65 and writes nothing to stdout when stdin is not a request', () => {
    const ws = tempWorkspace();
    for (const input of ['{"task": ', JSON.stringify({ protocol: 'ticket-orchestrator/agent-v1', task: { taskType: 'run_tests' } })]) {
      const run = spawnAgent(ws, input);
      expect(run.status).toBe(65);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^\[reference-agent\] (stdin is not valid JSON|request lacks ticket)/);
    }
  });
});
