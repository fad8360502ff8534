/**
 * Tickets worked in a real repository (issue 9), end to end on a real Temporal dev server, worker,
 * PostgreSQL and git: the calculator repository of test/fixtures/repositories (its own test command,
 * Node's test runner with a JUnit report and an Istanbul coverage summary) behind a bare remote,
 * worked by the repository test agent (test/fixtures/agents/repo-agent.mjs). Each ticket gets its
 * own branch, the orchestrator commits, runs the repository's tests itself for the gates, and
 * DEPLOYMENT merges; conflicts, lies and hung test commands block the ticket with the reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Prisma } from '@prisma/client';
import type { RepositorySpec } from '../../src/repositories/contracts';
import { ensureSeededRemote } from '../../src/repositories/embedded';
import type { NewTicket } from '../../src/ticket/client';
import { Phase } from '../../src/ticket/phases';
import type { ticketWorkflow } from '../../workflows';
import type { TicketWorkflowState } from '../../workflows/ticket/messages';
import { ALL_CAPABILITIES, fixtureConfig } from '../helpers/agents';
import { useTicketStack, waitForState } from '../helpers/temporal';

const CALCULATOR = path.resolve(__dirname, '..', 'fixtures', 'repositories', 'calculator');

const stack = useTicketStack(
  fixtureConfig({ name: 'repo-agent', type: 'command', capabilities: ALL_CAPABILITIES, command: 'node', args: ['./repo-agent.mjs'] }),
);

let dir: string;
/** The bare remotes of the two repositories. */
const remotes = { calculator: '', hanging: '' };

/** The calculator's checks: its own test script, JUnit report, Istanbul summary. */
function calculatorSpec(name: string, url: string, test: Partial<RepositorySpec['test']> = {}): RepositorySpec {
  return {
    name,
    url,
    defaultBranch: 'main',
    setup: null,
    test: { command: 'node', args: ['scripts/test.js'], timeoutMs: 60_000, report: { format: 'junit-xml', path: 'reports/junit.xml' }, ...test },
    coverage: { format: 'istanbul-summary', path: 'reports/coverage-summary.json' },
    testPaths: ['test/**'],
    integration: 'merge',
    keepBranches: true,
  };
}

async function register(spec: RepositorySpec): Promise<void> {
  const { setup, test, coverage, ...rest } = spec;
  await stack.db.prisma.repository.create({
    data: {
      ...rest,
      setup: (setup ?? undefined) as Prisma.InputJsonValue | undefined,
      test: test as unknown as Prisma.InputJsonValue,
      coverage: coverage as unknown as Prisma.InputJsonValue,
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ticket-branches-'));
  remotes.calculator = path.join(dir, 'calculator.git');
  remotes.hanging = path.join(dir, 'hanging.git');
  await ensureSeededRemote(remotes.calculator, CALCULATOR, 'main');
  await ensureSeededRemote(remotes.hanging, CALCULATOR, 'main');
  await register(calculatorSpec('calculator', remotes.calculator));
  // A test command that never ends: killed at its 1.5 s timeout.
  await register(calculatorSpec('hanging', remotes.hanging, { args: ['-e', 'setInterval(() => {}, 1000)'], timeoutMs: 1500 }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `git` in `cwd`, its output trimmed. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** A ticket of the calculator repository. */
function ticket(externalId: string, labels: string[] = [], repository = 'calculator'): NewTicket {
  return {
    externalId,
    title: `Multiply for ${externalId}`,
    description: 'Add a multiplication.',
    acceptanceCriteria: ['multiplies two numbers'],
    labels,
    repository,
  };
}

async function start(input: NewTicket) {
  const { ticket: row } = await stack.tickets({ gateRetries: 0 }).create(input);
  return { id: row.id, handle: stack.env.client.workflow.getHandle<typeof ticketWorkflow>(row.workflowId) };
}

const settled = (state: TicketWorkflowState) => state.phase === Phase.DONE || state.phase === Phase.BLOCKED;

describe('tickets worked in a real repository', () => {
  it('works two tickets in parallel on their own branches and merges both, the default branch green', async () => {
    const [first, second] = await Promise.all([start(ticket('CALC-1')), start(ticket('CALC-2'))]);
    for (const { handle } of [first, second]) expect(await waitForState(handle, settled, 90_000)).toMatchObject({ phase: Phase.DONE });

    const rows = await stack.db.prisma.ticket.findMany({ where: { id: { in: [first.id, second.id] } }, orderBy: { externalId: 'asc' } });
    expect(rows.map((row) => row.branch)).toEqual(['tickets/CALC-1', 'tickets/CALC-2']);
    const clone = path.join(dir, 'check-parallel');
    git(dir, 'clone', '--quiet', remotes.calculator, clone);
    const merges = git(clone, 'log', '--merges', '--first-parent', '--format=%H %s', 'origin/main').split('\n');
    expect(merges.map((line) => line.split(' ').slice(1).join(' ')).sort()).toEqual(['Merge tickets/CALC-1', 'Merge tickets/CALC-2']);
    for (const row of rows) {
      expect(merges.map((line) => line.split(' ')[0])).toContain(row.mergeCommit);
      // The branch's head is the merge's second parent.
      expect(git(clone, 'rev-parse', `${row.mergeCommit}^2`)).toBe(row.headCommit);
      // One commit per agent task that changed the tree, authored by the agent, with the trailers.
      const range = `${row.baseCommit}..${row.headCommit}`;
      const commits = git(clone, 'log', '--format=%an|%s', range).split('\n').sort();
      const done = (type: string) => `repo-agent|${row.externalId} ${type}: ${type} done for ${row.externalId}`;
      expect(commits).toEqual([done('create_requirements_doc'), done('design_architecture'), done('implement_feature')].sort());
      const trailers = git(clone, 'log', '--format=%(trailers:key=Ticket,key=Attempt,key=Agent,valueonly,separator=%x20)', range).split('\n');
      expect(trailers).toEqual(Array(3).fill(`${row.externalId} 1 repo-agent`));
      expect(new Set(git(clone, 'log', '--format=%(trailers:key=Task,valueonly)', range).split('\n').filter(Boolean)).size).toBe(3);
    }
    // Every merged state is green: the repository's own tests pass on the default branch.
    execFileSync(process.execPath, ['scripts/test.js'], { cwd: clone, stdio: 'ignore' });

    // The gates saw what the orchestrator ran: the IMPLEMENTATION gate's code changes hold the ticket's test file.
    const changes = await stack.db.prisma.phaseGateArtifact.findFirst({
      where: { ticketId: first.id, phaseId: Phase.IMPLEMENTATION, artifactType: 'code_changes' },
    });
    expect(changes!.artifactContent).toMatchObject({ tests: ['test/calc_1.test.js'] });
    // The documents are the files the agent wrote, collected by the orchestrator.
    const document = await stack.db.prisma.phaseGateArtifact.findFirst({ where: { ticketId: first.id, artifactType: 'requirements_document' } });
    expect(document!.artifactPath).toBe('docs/tickets/CALC-1/requirements.md');
  }, 180_000);

  it('blocks the second of two tickets that change the same lines, naming the file, and leaves the default branch untouched', async () => {
    // Both branches start from the same tip; whichever integrates second conflicts.
    const tickets = await Promise.all([start(ticket('CALC-3', ['same-line'])), start(ticket('CALC-4', ['same-line']))]);
    const states = await Promise.all(tickets.map(({ handle }) => waitForState(handle, settled, 90_000)));
    expect(states.map((state) => state.phase).sort()).toEqual([Phase.BLOCKED, Phase.DONE]);
    const [merged, blocked] = await Promise.all(
      [Phase.DONE, Phase.BLOCKED].map((phase) =>
        stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: tickets[states.findIndex((state) => state.phase === phase)]!.id } }),
      ),
    );
    expect(blocked!.blockedReason).toMatch(/integrate_branch failed: MergeConflict: merge conflict in src\/calculator\.js/);
    expect(blocked!.mergeCommit).toBeNull();
    // The default branch is where the first merge left it.
    expect(git(dir, 'ls-remote', remotes.calculator, 'refs/heads/main').split('\t')[0]).toBe(merged!.mergeCommit);
  }, 180_000);

  it('fails the gate with the real failing test when an agent claims every test passed', async () => {
    const liar = await start(ticket('CALC-5', ['lie']));
    const state = await waitForState(liar.handle, settled, 90_000);
    expect(state.phase).toBe(Phase.BLOCKED);
    const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: liar.id } });
    // IMPLEMENTATION's gate asks for changes with tests and coverage; TESTING's for every test passed.
    expect(row.previousPhaseId).toBe(Phase.TESTING);
    expect(row.blockedReason).toMatch(/test_results: allPassed: 1 of \d+ tests failed: test › calc_5 multiplies: Expected values to be strictly equal/);
    // The agent's claims were never collected; the orchestrator's verdict was.
    const results = await stack.db.prisma.phaseGateArtifact.findMany({ where: { ticketId: liar.id, phaseId: Phase.TESTING, artifactType: 'test_results' } });
    expect(results).toHaveLength(1);
    expect(results[0]!.artifactContent).toMatchObject({ success: false, numFailedTests: 1 });
  }, 180_000);

  it('kills a test command that hangs at its timeout and fails the gate with the reason', async () => {
    const hung = await start(ticket('HANG-1', [], 'hanging'));
    const state = await waitForState(hung.handle, settled, 90_000);
    expect(state.phase).toBe(Phase.BLOCKED);
    const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: hung.id } });
    expect(row).toMatchObject({
      previousPhaseId: Phase.IMPLEMENTATION,
      blockedReason: expect.stringMatching(/test_coverage: minPercentage 80: no coverage percentage found: test command timed out after 1\.5 s; killed/),
    });
  }, 180_000);
});
