/**
 * The embedded default repository (src/repositories/embedded.ts): real git, bare remotes in temporary
 * directories, seeded from a directory made here and from examples/repository itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { ensureSeededRemote } from '../../src/repositories/embedded';
import { ORCHESTRATOR_IDENTITY } from '../../src/repositories/git';

const EXAMPLE = path.resolve(__dirname, '../../examples/repository');

let dir: string;
const savedEnv = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-remote-'));
  // No global git identity (as on a CI machine): the commit must name its author itself.
  process.env.HOME = path.join(dir, 'home');
  process.env.XDG_CONFIG_HOME = path.join(dir, 'home', '.config');
  fs.mkdirSync(process.env.XDG_CONFIG_HOME, { recursive: true });
});

afterEach(() => {
  process.env.HOME = savedEnv.HOME;
  process.env.XDG_CONFIG_HOME = savedEnv.XDG_CONFIG_HOME;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (relative path → content) under `root`. */
function writeFiles(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
}

/** A source directory with tracked files, ignored files, reports and a node_modules symlink. */
function makeSource(): string {
  const source = path.join(dir, 'project');
  writeFiles(source, {
    '.gitignore': '*.log\n',
    'package.json': '{"name":"p"}\n',
    'src/index.js': 'module.exports = 1;\n',
    'src/reports/summary.js': 'module.exports = 2;\n',
    'src/.gitignore': 'generated/\n',
    'src/generated/out.js': '// generated\n',
    'debug.log': 'noise\n',
    'reports/jest.json': '{}\n',
  });
  const shared = path.join(dir, 'shared-node-modules');
  writeFiles(shared, { 'jest/index.js': '' });
  fs.symlinkSync(shared, path.join(source, 'node_modules'));
  return source;
}

/** `git <args>` in the bare repository `remote`, trimmed. */
async function git(remote: string, ...args: string[]): Promise<string> {
  return (await simpleGit({ baseDir: remote }).raw(args)).trim();
}

/** The entries of `parent` other than `keep`. */
function leftovers(parent: string, ...keep: string[]): string[] {
  return fs.readdirSync(parent).filter((name) => !keep.includes(name));
}

describe('ensureSeededRemote', () => {
  it('creates a bare remote whose default branch holds one commit of the files git would track, by the orchestrator', async () => {
    const remote = path.join(dir, 'data', 'repositories', 'example.git');
    const result = await ensureSeededRemote(remote, makeSource(), 'trunk');

    expect(result).toEqual({ created: true, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(await git(remote, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(await git(remote, 'symbolic-ref', 'HEAD')).toBe('refs/heads/trunk');
    expect(await git(remote, 'rev-parse', 'refs/heads/trunk')).toBe(result.commit);
    expect(await git(remote, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/trunk');
    expect((await git(remote, 'rev-list', 'trunk')).split('\n')).toEqual([result.commit]);
    const identity = `${ORCHESTRATOR_IDENTITY.name} <${ORCHESTRATOR_IDENTITY.email}>`;
    expect(await git(remote, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', 'trunk')).toBe(`${identity}|${identity}|Initial commit`);
    expect(identity).toBe('orchestrator <orchestrator@localhost>');
    expect((await git(remote, 'ls-tree', '-r', '--name-only', 'trunk')).split('\n')).toEqual([
      '.gitignore',
      'package.json',
      'src/.gitignore',
      'src/index.js',
      'src/reports/summary.js',
    ]);
    expect(await git(remote, 'config', '--get-regexp', '^remote\\.').catch(() => '')).toBe('');
    expect(leftovers(path.dirname(remote), 'example.git')).toEqual([]);
  });

  it('can be cloned, branched and pushed to like any remote', async () => {
    const remote = path.join(dir, 'example.git');
    const { commit } = await ensureSeededRemote(remote, makeSource(), 'main');
    const clone = path.join(dir, 'clone');
    await simpleGit({ baseDir: dir }).clone(remote, clone);
    const tree = simpleGit({ baseDir: clone, config: ['user.name=t', 'user.email=t@localhost'] });

    expect(fs.readFileSync(path.join(clone, 'src/index.js'), 'utf8')).toBe('module.exports = 1;\n');
    await tree.checkoutLocalBranch('tickets/T-1');
    fs.writeFileSync(path.join(clone, 'src/t1.js'), '');
    await tree.add('src/t1.js');
    await tree.commit('T-1');
    await tree.push('origin', 'tickets/T-1');
    expect(await git(remote, 'rev-parse', 'tickets/T-1^')).toBe(commit);
  });

  it('leaves an existing remote as it is and returns its default branch tip', async () => {
    const remote = path.join(dir, 'example.git');
    const source = makeSource();
    const first = await ensureSeededRemote(remote, source, 'main');
    fs.writeFileSync(path.join(source, 'src/new.js'), '');

    expect(await ensureSeededRemote(remote, source, 'main')).toEqual({ created: false, commit: first.commit });
    expect(await git(remote, 'ls-tree', '-r', '--name-only', 'main')).not.toContain('src/new.js');
  });

  it('creates the remote once when callers race, all of them returning its commit', async () => {
    const remote = path.join(dir, 'example.git');
    const source = makeSource();
    const results = await Promise.all([1, 2, 3].map(() => ensureSeededRemote(remote, source, 'main')));

    expect(results.filter((result) => result.created)).toHaveLength(1);
    const tip = await git(remote, 'rev-parse', 'main');
    expect(results.map((result) => result.commit)).toEqual([tip, tip, tip]);
    expect((await git(remote, 'rev-list', '--all')).split('\n')).toEqual([tip]);
    expect(leftovers(dir, 'example.git', 'project', 'shared-node-modules', 'home')).toEqual([]);
  });

  it('seeds the example repository with its sources, tests and lockfile, never its node_modules or reports', async () => {
    const remote = path.join(dir, 'example.git');
    await ensureSeededRemote(remote, EXAMPLE, 'main');

    const files = (await git(remote, 'ls-tree', '-r', '--name-only', 'main')).split('\n');
    expect(files).toEqual(
      expect.arrayContaining(['.gitignore', 'README.md', 'package.json', 'package-lock.json', 'src/checklist.js', 'test/checklist.test.js']),
    );
    expect(files.filter((file) => /(^|\/)(node_modules|reports)(\/|$)/.test(file))).toEqual([]);
  });

  it('refuses an existing path that is not a repository with the default branch', async () => {
    const source = makeSource();
    // An empty directory inside a repository with a `main`: the enclosing repository's tip is not the answer.
    const remote = path.join(dir, 'example.git');
    await ensureSeededRemote(remote, source, 'main');
    const outer = path.join(dir, 'outer');
    await simpleGit({ baseDir: dir }).clone(remote, outer);
    const empty = path.join(outer, 'empty.git');
    fs.mkdirSync(empty);
    await expect(ensureSeededRemote(empty, source, 'main')).rejects.toThrow(`'${empty}' does not appear to be a git repository`);
    expect(fs.readdirSync(empty)).toEqual([]);

    await expect(ensureSeededRemote(remote, source, 'develop')).rejects.toThrow(`${remote} has no branch develop`);
  });

  it('creates nothing when the source is missing or has no file git would track', async () => {
    const remote = path.join(dir, 'repositories', 'example.git');
    await expect(ensureSeededRemote(remote, path.join(dir, 'missing'), 'main')).rejects.toThrow(
      `cannot seed ${remote}: ${path.join(dir, 'missing')} is not a directory`,
    );
    expect(fs.existsSync(remote)).toBe(false);

    const ignored = path.join(dir, 'ignored');
    writeFiles(ignored, { 'reports/jest.json': '{}', 'node_modules/x/index.js': '' });
    await expect(ensureSeededRemote(remote, ignored, 'main')).rejects.toThrow(`cannot seed ${remote}: ${ignored} has no file to commit`);
    expect(leftovers(path.dirname(remote))).toEqual([]);
  });
});
