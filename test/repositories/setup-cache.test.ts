/**
 * The set-up cache (issue 9, "Repositories": `setup` runs only when its inputs changed): a real
 * set-up script that appends to a counter file and writes `node_modules`; trees in temp
 * directories; the cache on disk.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import type { SetupCommand } from '../../src/repositories/contracts';
import { ensureSetup, setupKey, type SetupOptions } from '../../src/repositories/setup-cache';
import { TreePathError } from '../../src/repositories/tree-paths';
import { eventually } from '../helpers/poll';
import { TSX_CLI } from '../helpers/worker-process';

let dir: string;
let counter: string;
let setupScript: string;
let options: SetupOptions;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'setup-cache-')));
  counter = path.join(dir, 'setups.log');
  options = { cacheDir: path.join(dir, 'cache'), signal: new AbortController().signal };
  // Appends its tree to the counter, then (unless told to fail) installs a module from the lock file's content.
  setupScript = path.join(dir, 'setup.js');
  writeFileSync(
    setupScript,
    `const fs = require('node:fs');
     fs.appendFileSync(process.argv[2], process.cwd() + '\\n');
     if (process.argv[3] === 'fail') { console.error('npm ERR! lock file is broken'); process.exit(1); }
     if (process.argv[3] === 'hang') setInterval(() => {}, 1000);
     if (process.argv[3] === 'nothing') process.exit(0);
     const version = fs.existsSync('package-lock.json') ? fs.readFileSync('package-lock.json', 'utf8') : 'none';
     fs.mkdirSync('node_modules/dep', { recursive: true });
     fs.writeFileSync('node_modules/dep/index.js', 'module.exports = ' + JSON.stringify(version) + ';');
     setTimeout(() => {}, process.argv[3] === 'slow' ? 1000 : 200); // long enough for concurrent set-ups to overlap`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const setup = (mode = 'ok', timeoutMs = 10_000): SetupCommand => ({
  command: 'node',
  args: [setupScript, counter, mode],
  timeoutMs,
  inputs: ['package-lock.json'],
  outputs: ['node_modules'],
});

/** A tree with `package-lock.json` holding `lock` (none when undefined). */
function tree(name: string, lock?: string): string {
  const root = path.join(dir, name);
  mkdirSync(root, { recursive: true });
  if (lock !== undefined) writeFileSync(path.join(root, 'package-lock.json'), lock);
  return root;
}

const setupsRun = () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean) : []);
const installed = (root: string) => readFileSync(path.join(root, 'node_modules', 'dep', 'index.js'), 'utf8');
const linkOf = (root: string) => (lstatSync(path.join(root, 'node_modules')).isSymbolicLink() ? readlinkSync(path.join(root, 'node_modules')) : undefined);

describe('ensureSetup', () => {
  it('runs the set-up once per inputs: a second tree links the cached outputs, a changed input runs it again', async () => {
    const first = tree('first', 'lock v1');
    const ran = await ensureSetup(first, 'example', setup(), options);
    expect(ran).toMatchObject({ status: 'ran', key: expect.stringMatching(/^[0-9a-f]{64}$/), run: { exitCode: 0 } });
    const cached = path.join(options.cacheDir, 'example', ran.key, 'outputs', 'node_modules');
    expect(linkOf(first)).toBe(cached);
    expect(installed(first)).toBe('module.exports = "lock v1";');
    expect(setupsRun()).toEqual([first]);

    expect(await ensureSetup(first, 'example', setup(), options)).toEqual({ status: 'current', key: ran.key });
    const second = tree('second', 'lock v1');
    expect(await ensureSetup(second, 'example', setup(), options)).toEqual({ status: 'linked', key: ran.key });
    expect(linkOf(second)).toBe(cached);
    expect(installed(second)).toBe('module.exports = "lock v1";');
    expect(setupsRun()).toEqual([first]); // the set-up did not run again

    writeFileSync(path.join(second, 'package-lock.json'), 'lock v2');
    const rerun = await ensureSetup(second, 'example', setup(), options);
    expect(rerun).toMatchObject({ status: 'ran' });
    expect(rerun.key).not.toBe(ran.key);
    expect(setupsRun()).toEqual([first, second]);
    expect(installed(second)).toBe('module.exports = "lock v2";');
    expect(installed(first)).toBe('module.exports = "lock v1";'); // the first key's outputs were not written through
    expect(linkOf(first)).toBe(cached);
  });

  it('sets up again when the cache was removed under a tree’s links', async () => {
    const root = tree('first', 'lock v1');
    await ensureSetup(root, 'example', setup(), options);
    rmSync(options.cacheDir, { recursive: true });
    expect(await ensureSetup(root, 'example', setup(), options)).toMatchObject({ status: 'ran' });
    expect(installed(root)).toBe('module.exports = "lock v1";');
    expect(setupsRun()).toEqual([root, root]);
  });

  it('replaces a real output directory of a tree by the link', async () => {
    await ensureSetup(tree('first', 'lock v1'), 'example', setup(), options);
    const second = tree('second', 'lock v1');
    mkdirSync(path.join(second, 'node_modules', 'stale'), { recursive: true });
    expect(await ensureSetup(second, 'example', setup(), options)).toMatchObject({ status: 'linked' });
    expect(installed(second)).toBe('module.exports = "lock v1";');
    expect(setupsRun()).toHaveLength(1);
  });

  it('keys on the command line and the inputs’ content; a missing input counts as empty', async () => {
    const missing = tree('missing');
    const empty = tree('empty', '');
    expect(await setupKey(missing, setup())).toBe(await setupKey(empty, setup()));
    expect(await setupKey(tree('other', 'x'), setup())).not.toBe(await setupKey(empty, setup()));
    expect(await setupKey(empty, { ...setup(), args: [setupScript, counter, 'other'] })).not.toBe(await setupKey(empty, setup()));
    await expect(setupKey(empty, { ...setup(), inputs: ['../outside.json'] })).rejects.toThrow(TreePathError);
  });

  it('runs concurrent set-ups of one key once (the key is locked)', async () => {
    const trees = [tree('a', 'lock v1'), tree('b', 'lock v1'), tree('c', 'lock v1')];
    const outcomes = await Promise.all(trees.map((root) => ensureSetup(root, 'example', setup(), options)));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['linked', 'linked', 'ran']);
    expect(setupsRun()).toHaveLength(1);
    for (const root of trees) expect(installed(root)).toBe('module.exports = "lock v1";');
  });

  it('runs concurrent set-ups of one key in separate processes once', async () => {
    const trees = [tree('a', 'lock v1'), tree('b', 'lock v1')];
    const runner = path.join(dir, 'ensure-setup.ts');
    writeFileSync(
      runner,
      `import { ensureSetup } from ${JSON.stringify(path.resolve(__dirname, '../../src/repositories/setup-cache'))};
       const [tree, cacheDir, setup] = process.argv.slice(2);
       ensureSetup(tree!, 'example', JSON.parse(setup!), { cacheDir: cacheDir!, signal: new AbortController().signal }).then((outcome) => console.log(outcome.status));`,
    );
    const statuses = await Promise.all(
      trees.map(async (root) =>
        (await promisify(execFile)(process.execPath, [TSX_CLI, runner, root, options.cacheDir, JSON.stringify(setup('slow'))])).stdout.trim(),
      ),
    );
    expect(statuses.sort()).toEqual(['linked', 'ran']);
    expect(setupsRun()).toHaveLength(1);
    for (const root of trees) expect(installed(root)).toBe('module.exports = "lock v1";');
  });

  it('waits, heartbeating, while another process holds the key, and stops waiting when aborted', async () => {
    const root = tree('first', 'lock v1');
    const keyDir = path.join(options.cacheDir, 'example', await setupKey(root, setup()));
    mkdirSync(keyDir, { recursive: true });
    const release = await lockfile.lock(keyDir, { realpath: false });
    try {
      const controller = new AbortController();
      const steps: string[] = [];
      const waiting = ensureSetup(root, 'example', setup(), { ...options, signal: controller.signal, heartbeat: ({ step }) => steps.push(step) });
      const outcome = waiting.catch((error: unknown) => error);
      await eventually(() => steps.length >= 2, 'heartbeats while waiting for the lock');
      expect(new Set(steps)).toEqual(new Set(['setup: waiting']));
      const reason = new Error('cancelled');
      controller.abort(reason);
      expect(await outcome).toBe(reason);
      expect(setupsRun()).toEqual([]);
    } finally {
      await release();
    }
  });

  it('caches nothing when the set-up fails, and runs it again next time', async () => {
    const root = tree('first', 'lock v1');
    const failed = await ensureSetup(root, 'example', setup('fail'), options);
    expect(failed).toMatchObject({
      status: 'failed',
      error: `node ${setupScript} ${counter} fail exited with status 1`,
      run: { exitCode: 1, output: 'npm ERR! lock file is broken\n' },
    });
    expect(existsSync(path.join(options.cacheDir, 'example', failed.key, 'outputs'))).toBe(false);
    expect(await ensureSetup(root, 'example', setup('fail'), options)).toMatchObject({ status: 'failed' });
    expect(setupsRun()).toHaveLength(2);
  });

  it('fails when the set-up produces no output, or times out (killed)', async () => {
    const root = tree('first', 'lock v1');
    expect(await ensureSetup(root, 'example', setup('nothing'), options)).toMatchObject({
      status: 'failed',
      error: `node ${setupScript} ${counter} nothing produced no node_modules`,
    });
    expect(await ensureSetup(root, 'example', setup('hang', 1000), options)).toMatchObject({
      status: 'failed',
      error: `node ${setupScript} ${counter} hang timed out after 1 s; killed`,
      run: { timedOut: true },
    });
  });

  it('runs a set-up without outputs every time (nothing to share)', async () => {
    const root = tree('first', 'lock v1');
    const noOutputs = { ...setup('nothing'), outputs: [] };
    expect(await ensureSetup(root, 'example', noOutputs, options)).toMatchObject({ status: 'ran' });
    expect(await ensureSetup(root, 'example', noOutputs, options)).toMatchObject({ status: 'ran' });
    expect(setupsRun()).toHaveLength(2);
  });
});
