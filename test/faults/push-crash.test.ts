/**
 * Fault "the worker dies between the commit and the push" (issue 9): the stand-alone worker
 * (src/entrypoints/worker.ts) works a ticket of the calculator repository; the bare remote's
 * `pre-receive` hook holds the push of the implement_feature commit, and the test SIGKILLs the
 * worker's whole process group while it is held, so the commit exists only in the machine's cached
 * clone. A new worker process on the same machine must redo the lost push (the very commit made
 * before the crash reaches the remote), make no second commit for the task, and take the ticket to
 * PHASE_DONE with its branch merged.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseOrchestratorConfig } from '../../src/agents/config';
import { ensureSeededRemote } from '../../src/repositories/embedded';
import { Phase } from '../../src/ticket/phases';
import type { ticketWorkflow } from '../../workflows';
import { ALL_CAPABILITIES } from '../helpers/agents';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { poll } from '../helpers/poll';
import { createTemporalEnvironment, testTicketClient } from '../helpers/temporal';
import { killAllWorkerProcesses, spawnWorkerProcess, workerEnv, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(150_000);

const CALCULATOR = path.resolve(__dirname, '..', 'fixtures', 'repositories', 'calculator');
const REPO_AGENT = path.resolve(__dirname, '..', 'fixtures', 'agents', 'repo-agent.mjs');

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let dir: string;
let remote: string;
const taskQueue = `tickets-push-crash-${process.pid}-${Date.now()}`;
const raw = {
  backends: [{ name: 'repo-agent', type: 'command', capabilities: ALL_CAPABILITIES, command: 'node', args: [REPO_AGENT], heartbeatTimeoutMs: 3000 }],
  validationPhases: [],
  gates: {},
};
const orchestrator = parseOrchestratorConfig(raw, __dirname);

beforeAll(async () => {
  [env, db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'push-crash-'));
  remote = path.join(dir, 'calculator.git');
  await ensureSeededRemote(remote, CALCULATOR, 'main');
  const test = { command: 'node', args: ['scripts/test.js'], timeoutMs: 60_000, report: { format: 'junit-xml', path: 'reports/junit.xml' } };
  await db.prisma.repository.create({
    data: {
      name: 'calculator',
      url: remote,
      test,
      coverage: { format: 'istanbul-summary', path: 'reports/coverage-summary.json' },
      testPaths: ['test/**'],
    },
  });
  writeFileSync(path.join(dir, 'orchestrator.json'), JSON.stringify(raw));
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await env?.teardown();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A worker process of this machine: one workspaces directory and repository cache for all of them. */
function startWorkerProcess(): WorkerProcess {
  return spawnWorkerProcess(
    workerEnv({
      database: db.url,
      env,
      taskQueue,
      config: path.join(dir, 'orchestrator.json'),
      workspacesDir: path.join(dir, 'workspaces'),
      repositoryCacheDir: path.join(dir, 'cache'),
    }),
  );
}

/** `git` in `cwd`, its output trimmed. */
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

it('redoes the push lost when the worker died after the commit, with no second commit for the task', async () => {
  // The remote holds any push carrying the implement_feature commit while `hold` exists, then refuses it.
  const held = path.join(dir, 'push-held');
  const hold = path.join(dir, 'hold');
  writeFileSync(hold, '');
  const hook = path.join(remote, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh\nwhile read old new ref; do\n  if git log --format=%s "$old..$new" 2>/dev/null | grep -q implement_feature; then\n    touch '${held}'\n    while [ -e '${hold}' ]; do sleep 0.1; done\n    exit 1\n  fi\ndone\nexit 0\n`,
  );
  chmodSync(hook, 0o755);

  const worker = startWorkerProcess();
  const { ticket } = await testTicketClient(db.prisma, env.client, taskQueue, orchestrator, { gateRetries: 0 }).create({
    externalId: 'CALC-9',
    title: 'Multiply',
    description: 'Add a multiplication.',
    acceptanceCriteria: ['multiplies two numbers'],
    repository: 'calculator',
  });
  await poll(
    () => existsSync(held),
    Boolean,
    () => `the implement_feature push to reach the remote; worker output:\n${worker.output()}`,
    90_000,
  );
  const tree = path.join(dir, 'workspaces', ticket.id);
  const committed = git(tree, 'rev-parse', 'HEAD');
  expect(git(tree, 'log', '-1', '--format=%s')).toBe('CALC-9 implement_feature: implement_feature done for CALC-9');

  worker.kill('SIGKILL');
  await worker.exited;
  unlinkSync(hook);
  unlinkSync(hold);
  expect(git(dir, 'ls-remote', remote, 'refs/heads/tickets/CALC-9').split('\t')[0]).not.toBe(committed);

  startWorkerProcess();
  const final = await env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId).result();
  expect(final).toMatchObject({ phase: Phase.DONE });

  const row = await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  const clone = path.join(dir, 'check');
  git(dir, 'clone', '--quiet', remote, clone);
  // The commit made before the crash is the one on the branch: the push was redone, not the work.
  git(clone, 'merge-base', '--is-ancestor', committed, `origin/${row.branch}`);
  const implement = await db.prisma.task.findFirstOrThrow({ where: { ticketId: ticket.id, taskType: 'implement_feature' } });
  expect(implement.attempts).toBe(2);
  const forTask = git(clone, 'log', '--format=%H', `--grep=Task: ${implement.id}`, `origin/${row.branch}`).split('\n');
  expect(forTask).toEqual([committed]);
  expect(git(clone, 'rev-parse', `${row.mergeCommit}^2`)).toBe(row.headCommit);
});
