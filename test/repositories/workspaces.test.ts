/**
 * A ticket's branch and working trees on real git (issue 9 "Branch and working tree per ticket",
 * "Deployment integrates"): throwaway bare remotes seeded by a temporary clone, and two
 * RepositoryWorkspaces with separate cache and workspace directories standing for two machines.
 * HOME points at an empty directory, so nothing comes from a global git configuration.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { RepositorySpec } from '../../src/repositories/contracts';
import {
  BranchNotFoundError,
  IntegrationFailedError,
  MergeConflictError,
  PushRejectedError,
  RepositoryWorkspaces,
  excludePatterns,
} from '../../src/repositories/workspaces';
import { workTicket, type Job } from '../fixtures/workspaces/work-ticket';
import { TSX_CLI } from '../helpers/worker-process';

/** Identity of the test's own commits (seeding, a competing push), never the module's. */
const SEEDER = { GIT_AUTHOR_NAME: 'Seeder', GIT_AUTHOR_EMAIL: 'seeder@example.com', GIT_COMMITTER_NAME: 'Seeder', GIT_COMMITTER_EMAIL: 'seeder@example.com' };
const AGENT = { name: 'Reference Agent', email: 'reference-agent@example.com' };

let root: string;
let home: string | undefined;

/** Runs git in `cwd` for the test itself and returns its output trimmed. */
function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...SEEDER }, encoding: 'utf8' }).trim();
}

/** Writes `content` at `path` relative to `dir`, creating directories. */
function write(dir: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

const APP = Array.from({ length: 10 }, (_, line) => `export const line${line} = ${line};`).join('\n') + '\n';

/** A bare remote (default branch `main`) seeded with one commit: src/app.js, README.md. */
function makeRemote(name = 'remote'): { url: string; seed: string } {
  const url = join(root, `${name}.git`);
  sh(root, '-c', 'init.defaultBranch=main', 'init', '--quiet', '--bare', url);
  const seed = join(root, `${name}-seed`);
  sh(root, '-c', 'init.defaultBranch=main', 'init', '--quiet', seed);
  write(seed, 'src/app.js', APP);
  write(seed, 'README.md', '# example\n');
  sh(seed, 'add', '--all');
  sh(seed, 'commit', '--quiet', '-m', 'initial commit');
  sh(seed, 'push', '--quiet', url, 'main');
  return { url, seed };
}

function spec(url: string, overrides: Partial<RepositorySpec> = {}): RepositorySpec {
  return {
    name: 'example',
    url,
    defaultBranch: 'main',
    setup: { command: 'npm', args: ['ci'], timeoutMs: 60_000, inputs: ['package-lock.json'], outputs: ['node_modules'] },
    test: { command: 'npm', args: ['test'], timeoutMs: 60_000, report: { format: 'jest-json', path: 'reports/jest.json' } },
    coverage: { format: 'istanbul-summary', path: 'coverage/coverage-summary.json' },
    testPaths: ['test/**', '**/*.test.js'],
    integration: 'merge',
    keepBranches: true,
    ...overrides,
  };
}

/** A machine: its own cache and workspaces directories. */
function machine(name: string): RepositoryWorkspaces {
  return new RepositoryWorkspaces({ cacheDir: join(root, name, 'cache'), workspacesDir: join(root, name, 'workspaces') });
}

/** The commit a ref of the bare remote points at, or '' when it does not exist. */
function remoteRef(url: string, ref: string): string {
  try {
    return sh(url, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    return '';
  }
}

const trailers = (task: string, attempt = '1') => ({ Ticket: 'T-1', Task: task, Attempt: attempt, Agent: 'reference-agent' });
const taskCommit = (task: string, attempt = '1') => ({ message: `T-1 implementation: work of ${task}`, author: AGENT, trailers: trailers(task, attempt) });

/** The remote's commits on `ref` carrying the trailer `Task: <task>`. */
function commitsOfTask(url: string, ref: string, task: string): string[] {
  return sh(url, 'log', '--format=%H', `--grep=^Task: ${task}$`, ref).split('\n').filter(Boolean);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'workspaces-test-'));
  home = process.env.HOME;
  process.env.HOME = join(root, 'home');
  mkdirSync(process.env.HOME);
});

afterEach(() => {
  process.env.HOME = home;
  rmSync(root, { recursive: true, force: true });
});

describe('ticket branch', () => {
  it('is created once from the default branch tip and pushed; a second call and a second machine see the same', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const main = remoteRef(url, 'refs/heads/main');
    const first = await machine('a').ensureBranch(repo, 'tickets/T-1');
    expect(first).toEqual({ base: main, head: main, created: true });
    expect(remoteRef(url, 'refs/heads/tickets/T-1')).toBe(main);
    expect(await machine('a').ensureBranch(repo, 'tickets/T-1')).toEqual({ base: main, head: main, created: false });
    expect(await machine('b').ensureBranch(repo, 'tickets/T-1')).toEqual({ base: main, head: main, created: false });
  });

  it('is created by exactly one of three machines racing for it', async () => {
    const { url } = makeRemote();
    const results = await Promise.all(['a', 'b', 'c'].map((name) => machine(name).ensureBranch(spec(url), 'tickets/T-2')));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.head)).size).toBe(1);
    expect(remoteRef(url, 'refs/heads/tickets/T-2')).toBe(results[0]?.head);
  });

  it('cannot be created on a remote without the default branch', async () => {
    const { url } = makeRemote();
    await expect(machine('a').ensureBranch(spec(url, { defaultBranch: 'trunk' }), 'tickets/T-3')).rejects.toBeInstanceOf(BranchNotFoundError);
  });

  it('fails (retryably) on a remote it cannot reach, leaving no half clone', async () => {
    const missing = spec(join(root, 'missing.git'));
    const failed = machine('a').ensureBranch(missing, 'tickets/T-1');
    await expect(failed).rejects.toThrow(/repository '.*missing.git' does not exist/);
    await expect(failed).rejects.not.toHaveProperty('retryable', false);
    expect(existsSync(machine('a').clonePath(missing))).toBe(false);
  });
});

describe('working tree and commits', () => {
  it('commits an agent task with trailers and pushes it; a second machine tree sees the commit', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    const { base } = await a.ensureBranch(repo, 'tickets/T-1');
    const prepared = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    expect(prepared).toEqual({ tree: join(root, 'a', 'workspaces', 'ticket-1'), head: base, base, pushedLost: false });
    write(prepared.tree, 'src/feature.js', 'export const feature = 1;\n');
    const committed = await a.commitTask(prepared.tree, 'tickets/T-1', repo, taskCommit('task-1'));
    expect(committed.pushed).toBe(true);
    expect(remoteRef(url, 'refs/heads/tickets/T-1')).toBe(committed.commit);
    expect(sh(url, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', committed.commit!)).toBe(
      'Reference Agent <reference-agent@example.com>|orchestrator <orchestrator@localhost>',
    );
    expect(sh(url, 'log', '-1', '--format=%B', committed.commit!)).toBe(
      'T-1 implementation: work of task-1\n\nTicket: T-1\nTask: task-1\nAttempt: 1\nAgent: reference-agent',
    );

    const b = await machine('b').prepareTree(repo, 'ticket-1', 'tickets/T-1');
    expect(b).toMatchObject({ head: committed.commit, base, pushedLost: false });
    expect(readFileSync(join(b.tree, 'src/feature.js'), 'utf8')).toBe('export const feature = 1;\n');
  });

  it('makes one commit per task attempt, none when nothing changed, and never commits set-up outputs or reports', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await a.ensureBranch(repo, 'tickets/T-1');
    const { tree } = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    expect(await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'))).toEqual({ commit: null, pushed: false });

    mkdirSync(join(root, 'shared-node_modules'));
    symlinkSync(join(root, 'shared-node_modules'), join(tree, 'node_modules'));
    write(tree, 'reports/jest.json', '{}');
    write(tree, 'coverage/coverage-summary.json', '{}');
    write(tree, 'src/feature.js', 'export const feature = 1;\n');
    const first = await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'));
    expect(sh(url, 'show', '--name-only', '--format=', first.commit!)).toBe('src/feature.js');

    write(tree, 'src/feature.js', 'export const feature = 2;\n');
    expect(await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'))).toEqual({ commit: first.commit, pushed: false });
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([first.commit]);
    const second = await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1', '2'));
    expect(second.commit).not.toBe(first.commit);
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([second.commit, first.commit]);
    expect(excludePatterns(repo)).toEqual(['/node_modules', '/reports/jest.json', '/coverage/coverage-summary.json']);
    expect(
      excludePatterns(spec(url, { setup: null, coverage: null, test: { ...repo.test, report: { format: 'junit-xml', path: './out/[x]*.xml' } } })),
    ).toEqual(['/out/\\[x]\\*.xml']);
  });

  it('redoes a push lost in a crash, with no second commit for the attempt', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await a.ensureBranch(repo, 'tickets/T-1');
    const { tree } = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    const hook = join(url, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nexit 1\n');
    chmodSync(hook, 0o755);
    write(tree, 'src/feature.js', 'export const feature = 1;\n');
    const failed = a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'));
    await expect(failed).rejects.toBeInstanceOf(PushRejectedError);
    await expect(failed).rejects.toThrow('refs/heads/tickets/T-1');
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([]);
    unlinkSync(hook);

    const prepared = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    expect(prepared.pushedLost).toBe(true);
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([prepared.head]);
    write(tree, 'src/feature.js', 'export const feature = 1;\n');
    expect(await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'))).toEqual({ commit: prepared.head, pushed: false });
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([prepared.head]);
  });

  it('resets a diverged local branch to the remote, discards leftovers and recreates a deleted tree', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const [a, b] = [machine('a'), machine('b')];
    await a.ensureBranch(repo, 'tickets/T-1');
    const treeA = (await a.prepareTree(repo, 'ticket-1', 'tickets/T-1')).tree;
    const treeB = (await b.prepareTree(repo, 'ticket-1', 'tickets/T-1')).tree;
    write(treeB, 'src/b.js', 'b\n');
    const fromB = await b.commitTask(treeB, 'tickets/T-1', repo, taskCommit('task-b'));
    write(treeA, 'src/a.js', 'a\n');
    await expect(a.commitTask(treeA, 'tickets/T-1', repo, taskCommit('task-a'))).rejects.toBeInstanceOf(PushRejectedError);

    write(treeA, 'leftover.txt', 'x\n');
    write(treeA, 'README.md', 'changed\n');
    const synced = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    expect(synced).toMatchObject({ head: fromB.commit, pushedLost: false });
    expect(existsSync(join(treeA, 'src/a.js'))).toBe(false);
    expect(existsSync(join(treeA, 'leftover.txt'))).toBe(false);
    expect(readFileSync(join(treeA, 'README.md'), 'utf8')).toBe('# example\n');
    expect(existsSync(join(treeA, 'src/b.js'))).toBe(true);

    rmSync(treeA, { recursive: true, force: true });
    expect(await a.prepareTree(repo, 'ticket-1', 'tickets/T-1')).toMatchObject({ head: fromB.commit });
    expect(existsSync(join(treeA, 'src/b.js'))).toBe(true);

    await a.removeTree(repo, 'ticket-1');
    expect(existsSync(treeA)).toBe(false);
    await a.removeTree(repo, 'ticket-1');
    await expect(a.prepareTree(repo, 'ticket-1', 'tickets/none')).rejects.toBeInstanceOf(BranchNotFoundError);

    // A directory that is no worktree (e.g. a copy left by an older version) is replaced; a tree deleted by hand is removed cleanly.
    write(treeA, 'stale.txt', 'x\n');
    expect(await a.prepareTree(repo, 'ticket-1', 'tickets/T-1')).toMatchObject({ head: fromB.commit });
    expect(existsSync(join(treeA, 'stale.txt'))).toBe(false);
    rmSync(treeA, { recursive: true, force: true });
    await a.removeTree(repo, 'ticket-1');
    expect(sh(a.clonePath(repo), 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('recovers from the git lock files a worker killed mid-command left behind', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const [a, b] = [machine('a'), machine('b')];
    await a.ensureBranch(repo, 'tickets/T-1');
    const { tree } = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    const treeB = (await b.prepareTree(repo, 'ticket-1', 'tickets/T-1')).tree;
    write(treeB, 'src/b.js', 'b\n');
    const fromB = await b.commitTask(treeB, 'tickets/T-1', repo, taskCommit('task-b'));

    const gitDir = join(a.clonePath(repo), '.git');
    const locks = [join(gitDir, 'worktrees', 'ticket-1', 'index.lock'), join(gitDir, 'refs', 'remotes', 'origin', 'tickets', 'T-1.lock')];
    const old = new Date(Date.now() - 120_000);
    for (const lock of locks) {
      write(dirname(lock), basename(lock), '');
      utimesSync(lock, old, old);
    }
    expect(await a.prepareTree(repo, 'ticket-1', 'tickets/T-1')).toMatchObject({ tree, head: fromB.commit });
    expect(locks.filter((lock) => existsSync(lock))).toEqual([]);
  });

  it('lets worker processes of one machine, and workers within one process, share the cached clone', async () => {
    const { url } = makeRemote();
    const dirs = { cacheDir: join(root, 'a', 'cache'), workspacesDir: join(root, 'a', 'workspaces') };
    const job = (ticketId: string): Job => ({ ...dirs, repo: spec(url), ticketId, branch: `tickets/${ticketId}`, rounds: 3 });
    const fixture = join(__dirname, '..', 'fixtures', 'workspaces', 'work-ticket.ts');
    const inProcess = (ticketId: string) => workTicket(job(ticketId));
    const inChild = (ticketId: string) => promisify(execFile)(process.execPath, [TSX_CLI, fixture, JSON.stringify(job(ticketId))], { env: process.env });
    await Promise.all([inChild('T-1'), inChild('T-2'), inProcess('T-3'), inProcess('T-4')]);
    for (const ticket of ['T-1', 'T-2', 'T-3', 'T-4']) {
      expect(sh(url, 'log', '--format=%s', `tickets/${ticket}`, '--not', 'main').split('\n')).toEqual(['round 3', 'round 2', 'round 1']);
    }
    expect(sh(machine('a').clonePath(spec(url)), 'worktree', 'list').split('\n')).toHaveLength(5);
  });

  it('refuses a tree that is not on the branch, and names that cannot be directories', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await a.ensureBranch(repo, 'tickets/T-1');
    const { tree, head } = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    sh(tree, 'checkout', '--quiet', '--detach', head);
    write(tree, 'src/feature.js', '1\n');
    await expect(a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'))).rejects.toThrow(`the tree ${tree} is not on branch tickets/T-1 (HEAD is HEAD)`);
    expect(commitsOfTask(url, 'refs/heads/tickets/T-1', 'task-1')).toEqual([]);
    await expect(a.prepareTree(repo, '../elsewhere', 'tickets/T-1')).rejects.toThrow('ticket ID "../elsewhere" cannot name a directory');
    await expect(a.ensureBranch({ ...repo, name: 'a/b' }, 'tickets/T-1')).rejects.toThrow('repository name "a/b" cannot name a directory');
  });

  it('reports the code changes against the base: numstat, binary files, test files', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    const { base } = await a.ensureBranch(repo, 'tickets/T-1');
    const { tree } = await a.prepareTree(repo, 'ticket-1', 'tickets/T-1');
    write(tree, 'src/app.js', APP.replace('line0 = 0', 'line0 = 100') + 'export const extra = 1;\n');
    write(tree, 'test/app.test.js', 'one\ntwo\nthree\n');
    write(tree, 'src/feature.test.js', 'x\n');
    write(tree, 'assets/logo.png', Buffer.from([0, 1, 2, 0, 255, 0]));
    const first = await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-1'));
    const changes = await a.changes(tree, base, repo.testPaths);
    expect(changes).toEqual({
      base,
      head: first.commit,
      files: [
        { path: 'assets/logo.png', insertions: 0, deletions: 0, test: false },
        { path: 'src/app.js', insertions: 2, deletions: 1, test: false },
        { path: 'src/feature.test.js', insertions: 1, deletions: 0, test: true },
        { path: 'test/app.test.js', insertions: 3, deletions: 0, test: true },
      ],
      insertions: 6,
      deletions: 1,
      tests: ['src/feature.test.js', 'test/app.test.js'],
    });

    unlinkSync(join(tree, 'src/feature.test.js'));
    write(tree, 'docs/tickets/T-1/design.md', '# design\n');
    const second = await a.commitTask(tree, 'tickets/T-1', repo, taskCommit('task-2'));
    expect(await a.changedPaths(tree, first.commit!, second.commit!)).toEqual(['docs/tickets/T-1/design.md']);
    expect((await a.changes(tree, base, [])).tests).toEqual([]);
  });
});

describe('integration', () => {
  /** Creates `branch` on machine `a` and commits `files` on it as one task. */
  async function branchWith(a: RepositoryWorkspaces, repo: RepositorySpec, ticketId: string, branch: string, files: Record<string, string>): Promise<string> {
    await a.ensureBranch(repo, branch);
    const { tree } = await a.prepareTree(repo, ticketId, branch);
    for (const [path, content] of Object.entries(files)) write(tree, path, content);
    const { commit } = await a.commitTask(tree, branch, repo, taskCommit(`${ticketId}-task`));
    return commit!;
  }

  const green = (): Promise<string[]> => Promise.resolve([]);

  it('merges two non-conflicting branches with one merge commit each, verifying each merged tree', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    const one = await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const two = await branchWith(a, repo, 'ticket-2', 'tickets/T-2', { 'src/two.js': '2\n' });
    const verified: string[][] = [];
    const verify = (tree: string, commit: string) => {
      verified.push([
        commit,
        sh(tree, 'rev-parse', 'HEAD'),
        existsSync(join(tree, 'src/one.js')) ? 'one' : '',
        existsSync(join(tree, 'src/two.js')) ? 'two' : '',
      ]);
      return green();
    };
    const first = await a.integrate(repo, 'tickets/T-1', { verify });
    expect(first).toMatchObject({ mode: 'merge', head: one, alreadyIntegrated: false });
    const second = await machine('b').integrate(repo, 'tickets/T-2', { verify });
    expect(second).toMatchObject({ mode: 'merge', head: two, alreadyIntegrated: false });
    expect(verified[0]).toEqual([first.mergeCommit, first.mergeCommit, 'one', '']);
    expect(verified[1]).toEqual([second.mergeCommit, second.mergeCommit, 'one', 'two']);

    expect(remoteRef(url, 'refs/heads/main')).toBe(second.mergeCommit);
    expect(sh(url, 'log', '--merges', '--format=%H %P', 'main').split('\n')).toEqual([
      `${second.mergeCommit} ${first.mergeCommit} ${two}`,
      `${first.mergeCommit} ${remoteRef(url, 'refs/heads/main~2')} ${one}`,
    ]);
    expect(sh(url, 'log', '-1', '--format=%B|%an|%cn', first.mergeCommit!)).toBe('Merge tickets/T-1\n\nTicket: T-1\n|orchestrator|orchestrator');
  });

  it('reports a branch already integrated on a retry, without verifying or pushing again', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    const head = await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const merged = await a.integrate(repo, 'tickets/T-1', { verify: green });
    const verify = jest.fn(green);
    expect(await machine('b').integrate(repo, 'tickets/T-1', { verify })).toEqual({
      mode: 'merge',
      head,
      mergeCommit: merged.mergeCommit,
      alreadyIntegrated: true,
    });
    expect(verify).not.toHaveBeenCalled();
    expect(remoteRef(url, 'refs/heads/main')).toBe(merged.mergeCommit);
  });

  it('stops on a conflicting second branch, naming the file, with the default branch untouched', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/app.js': APP.replace('line5 = 5', 'line5 = 51') });
    await branchWith(a, repo, 'ticket-2', 'tickets/T-2', { 'src/app.js': APP.replace('line5 = 5', 'line5 = 52'), 'src/other.js': 'x\n' });
    await a.integrate(repo, 'tickets/T-1', { verify: green });
    const main = remoteRef(url, 'refs/heads/main');
    const verify = jest.fn(green);
    const failed = a.integrate(repo, 'tickets/T-2', { verify });
    await expect(failed).rejects.toBeInstanceOf(MergeConflictError);
    await expect(failed).rejects.toMatchObject({
      files: ['src/app.js'],
      message: 'merge conflict in src/app.js',
      failureType: 'MergeConflict',
      retryable: false,
    });
    expect(verify).not.toHaveBeenCalled();
    expect(remoteRef(url, 'refs/heads/main')).toBe(main);

    // The integration tree recovers: the next integration of a clean branch merges.
    await branchWith(a, repo, 'ticket-3', 'tickets/T-3', { 'src/three.js': '3\n' });
    await expect(a.integrate(repo, 'tickets/T-3', { verify: green })).resolves.toMatchObject({ alreadyIntegrated: false });
  });

  it('leaves the default branch untouched when the merged tree does not verify', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const main = remoteRef(url, 'refs/heads/main');
    const failed = a.integrate(repo, 'tickets/T-1', { verify: () => Promise.resolve(['1 of 3 tests failed: app › adds']) });
    await expect(failed).rejects.toBeInstanceOf(IntegrationFailedError);
    await expect(failed).rejects.toMatchObject({ reasons: ['1 of 3 tests failed: app › adds'], failureType: 'IntegrationFailed' });
    expect(remoteRef(url, 'refs/heads/main')).toBe(main);
  });

  it('refuses to move a default branch someone pushed to meanwhile (retryable)', async () => {
    const { url, seed } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const verify = () => {
      write(seed, 'src/elsewhere.js', 'x\n');
      sh(seed, 'add', '--all');
      sh(seed, 'commit', '--quiet', '-m', 'pushed meanwhile');
      sh(seed, 'push', '--quiet', url, 'main');
      return green();
    };
    const failed = a.integrate(repo, 'tickets/T-1', { verify });
    await expect(failed).rejects.toBeInstanceOf(PushRejectedError);
    await expect(failed).rejects.toMatchObject({ refs: ['refs/heads/main'], retryable: true });
    expect(remoteRef(url, 'refs/heads/main')).toBe(sh(seed, 'rev-parse', 'HEAD'));
    const retried = await a.integrate(repo, 'tickets/T-1', { verify: green });
    expect(sh(url, 'rev-parse', `${retried.mergeCommit}^1`)).toBe(sh(seed, 'rev-parse', 'HEAD'));
  });

  it('stops before the push when aborted, and refuses a branch the remote lacks', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const main = remoteRef(url, 'refs/heads/main');
    const controller = new AbortController();
    const verify = () => {
      controller.abort(new Error('activity cancelled'));
      return green();
    };
    await expect(a.integrate(repo, 'tickets/T-1', { verify, signal: controller.signal })).rejects.toThrow('activity cancelled');
    expect(remoteRef(url, 'refs/heads/main')).toBe(main);
    await expect(a.integrate(repo, 'tickets/none', { verify: green })).rejects.toBeInstanceOf(BranchNotFoundError);
  });

  it('rebases then fast-forwards in rebase mode: a linear history, the branch moved to the rebased head', async () => {
    const { url } = makeRemote();
    const repo = spec(url, { integration: 'rebase' });
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const two = await branchWith(a, repo, 'ticket-2', 'tickets/T-2', { 'src/two.js': '2\n' });
    const first = await a.integrate(repo, 'tickets/T-1', { verify: green });
    const second = await a.integrate(repo, 'tickets/T-2', { verify: green });
    expect(second).toMatchObject({ mode: 'rebase', mergeCommit: second.head, alreadyIntegrated: false });
    expect(second.head).not.toBe(two);
    expect(remoteRef(url, 'refs/heads/main')).toBe(second.head);
    expect(remoteRef(url, 'refs/heads/tickets/T-2')).toBe(second.head);
    expect(sh(url, 'rev-list', '--merges', 'main')).toBe('');
    expect(sh(url, 'rev-parse', `${second.head}^`)).toBe(first.mergeCommit);
    expect(sh(url, 'log', '-1', '--format=%an', second.head)).toBe('Reference Agent');
    expect(await a.integrate(repo, 'tickets/T-2', { verify: green })).toEqual({ ...second, alreadyIntegrated: true });
  });

  it('only records the branch head in branch-only mode', async () => {
    const { url } = makeRemote();
    const repo = spec(url, { integration: 'branch-only' });
    const a = machine('a');
    const head = await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    const main = remoteRef(url, 'refs/heads/main');
    const verify = jest.fn(green);
    expect(await a.integrate(repo, 'tickets/T-1', { verify })).toEqual({ mode: 'branch-only', head, mergeCommit: null, alreadyIntegrated: false });
    expect(verify).not.toHaveBeenCalled();
    expect(remoteRef(url, 'refs/heads/main')).toBe(main);
  });

  it('deletes a ticket branch on the remote, idempotently', async () => {
    const { url } = makeRemote();
    const repo = spec(url);
    const a = machine('a');
    await branchWith(a, repo, 'ticket-1', 'tickets/T-1', { 'src/one.js': '1\n' });
    await a.integrate(repo, 'tickets/T-1', { verify: green });
    await a.removeTree(repo, 'ticket-1');
    expect(await a.deleteBranch(repo, 'tickets/T-1')).toBe(true);
    expect(remoteRef(url, 'refs/heads/tickets/T-1')).toBe('');
    expect(await a.deleteBranch(repo, 'tickets/T-1')).toBe(false);
  });
});
