/**
 * The repository's set-up (e.g. `npm ci`), run only when needed (issue 9, "Repositories": `setup`
 * runs when its inputs changed). Its key is the sha256 of the command line, the outputs' paths and
 * the contents of its `inputs` (a missing input counts as empty). Its `outputs` (e.g.
 * `node_modules`) are kept once per key on the machine, under `<cacheDir>/<repository>/<key>/outputs/`,
 * and symlinked into every tree with that key:
 * - a tree whose outputs already link to the key's outputs: nothing to do (`current`);
 * - outputs cached by an earlier set-up: the tree's outputs are replaced by links (`linked`);
 * - otherwise (under a cross-process lock of the key, proper-lockfile): the set-up runs in the
 *   tree, its outputs move into a staging directory of the key that is renamed into place (if
 *   another process got there first, its outputs are used and ours removed), and are linked back
 *   (`ran`). A set-up that fails (non-zero exit, timeout, no output) caches nothing (`failed`).
 * A set-up without outputs has nothing to share: it runs on every call.
 * Links are absolute; a tree's `.gitignore` entry `node_modules/` does not match a symlink, so the
 * caller keeps the outputs out of commits (e.g. `.git/info/exclude`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { cp, lstat, mkdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { commandFailure, commandLine, runRepositoryCommand, type CommandHeartbeat, type CommandRun } from './commands';
import type { SetupCommand } from './contracts';
import { treePath } from './tree-paths';

/** A lock of a key not updated for this long (its holder died) is taken over, ms (proper-lockfile updates it every half). */
const LOCK_STALE_MS = 20_000;
/** Wait between attempts to take the lock of a key another process holds, ms. */
const LOCK_RETRY_MS = 250;

/** What {@link ensureSetup} did. */
export type SetupOutcome =
  /** The tree's outputs already linked to the key's cached outputs: nothing done. */
  | { status: 'current'; key: string }
  /** The key's outputs were cached by an earlier set-up: linked into the tree. */
  | { status: 'linked'; key: string }
  /** The set-up ran in the tree (`run`); its outputs are now cached and linked. */
  | { status: 'ran'; key: string; run: CommandRun }
  /** The set-up failed (`error` says why, e.g. `npm ci exited with status 1`); nothing was cached. */
  | { status: 'failed'; key: string; run?: CommandRun; error: string };

/** How {@link ensureSetup} runs. */
export interface SetupOptions {
  /** The machine's set-up cache directory (created when missing). */
  cacheDir: string;
  /** Aborting kills a running set-up (or stops waiting for another's) and rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Heartbeats while the set-up runs (step `setup`) or waits for another process's set-up of the key (step `setup: waiting`). */
  heartbeat?: CommandHeartbeat;
  heartbeatIntervalMs?: number;
  /** The whole environment of the set-up (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The key of `setup` in `tree`: sha256 (hex) of its command line, its outputs' paths and the
 * contents of its inputs (sorted by path; a missing input counts as empty).
 *
 * @throws TreePathError when an input leads out of the tree
 */
export async function setupKey(tree: string, setup: SetupCommand): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ command: [setup.command, ...setup.args], outputs: setup.outputs }));
  for (const input of [...setup.inputs].sort()) {
    const content = await readFile(treePath(tree, input)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    hash.update(`\0${input}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

const isLinkTo = async (file: string, target: string) => {
  const stat = await lstat(file).catch(() => undefined);
  return stat?.isSymbolicLink() === true && (await readlink(file)) === target;
};

/** Moves `from` to `to` (a rename; a copy and a removal across file systems). */
async function move(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
    await rm(from, { recursive: true, force: true });
  }
}

/** Replaces each output of the tree (a directory, a stale link, nothing) by a link to the cached one. */
async function linkOutputs(tree: string, outputs: string[], cached: string): Promise<void> {
  for (const output of outputs) {
    const link = treePath(tree, output);
    const target = path.join(cached, output);
    if (await isLinkTo(link, target)) continue;
    await rm(link, { recursive: true, force: true }); // a link itself is removed, never what it points to
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
}

/** Takes the cross-process lock of `keyDir`, waiting (abortably, heartbeating) while another process holds it. */
async function lockKey(keyDir: string, options: SetupOptions): Promise<() => Promise<void>> {
  const started = Date.now();
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason;
    try {
      // A compromised lock (taken over as stale) only costs a second set-up: the rename into place stays atomic.
      return await lockfile.lock(keyDir, { stale: LOCK_STALE_MS, realpath: false, onCompromised: () => undefined });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    options.heartbeat?.({ step: 'setup: waiting', pid: 0, elapsedMs: Date.now() - started });
    await sleep(LOCK_RETRY_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/**
 * Makes `tree` set up for `setup`: links the outputs cached for its key, or runs it (once per key
 * on the machine) and caches its outputs. See the module comment.
 *
 * @param repository the repository's name (one cache directory per repository)
 * @returns what was done; a failed set-up is an outcome (`failed`), not an error
 * @throws `options.signal.reason` when aborted; TreePathError when an input or output leads out of
 *   the tree; file-system errors of the cache
 */
export async function ensureSetup(tree: string, repository: string, setup: SetupCommand, options: SetupOptions): Promise<SetupOutcome> {
  const key = await setupKey(tree, setup);
  const outputLinks = setup.outputs.map((output) => treePath(tree, output));
  const keyDir = path.join(options.cacheDir, encodeURIComponent(repository), key);
  const cached = path.join(keyDir, 'outputs');
  const run = () =>
    runRepositoryCommand(setup, {
      cwd: tree,
      signal: options.signal,
      heartbeat: options.heartbeat,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      step: 'setup',
      env: options.env,
    });
  const failure = (result: CommandRun) => {
    const reason = commandFailure(setup, result);
    return reason === undefined ? undefined : `${commandLine(setup)} ${reason}`;
  };

  if (setup.outputs.length === 0) {
    const result = await run();
    const error = failure(result);
    return error === undefined ? { status: 'ran', key, run: result } : { status: 'failed', key, run: result, error };
  }
  const isCached = () =>
    lstat(cached).then(
      () => true,
      () => false,
    );
  if (await isCached()) {
    const links = await Promise.all(setup.outputs.map((output, i) => isLinkTo(outputLinks[i]!, path.join(cached, output))));
    if (links.every(Boolean)) return { status: 'current', key };
    await linkOutputs(tree, setup.outputs, cached);
    return { status: 'linked', key };
  }

  await mkdir(keyDir, { recursive: true });
  const unlock = await lockKey(keyDir, options);
  try {
    if (await isCached()) {
      await linkOutputs(tree, setup.outputs, cached); // another process set the key up while we waited
      return { status: 'linked', key };
    }
    // Links to another key's outputs must not be written through by the set-up.
    for (const link of outputLinks) if ((await lstat(link).catch(() => undefined))?.isSymbolicLink()) await rm(link);
    const result = await run();
    const error = failure(result);
    if (error !== undefined) return { status: 'failed', key, run: result, error };
    const missing: string[] = [];
    for (const [i, output] of setup.outputs.entries()) if (!(await lstat(outputLinks[i]!).catch(() => undefined))) missing.push(output);
    if (missing.length > 0) return { status: 'failed', key, run: result, error: `${commandLine(setup)} produced no ${missing.join(', ')}` };

    const staging = path.join(keyDir, `staging-${process.pid}-${randomUUID()}`);
    for (const [i, output] of setup.outputs.entries()) await move(outputLinks[i]!, path.join(staging, output));
    try {
      await rename(staging, cached);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(staging, { recursive: true, force: true }); // another process won the race: use its outputs
    }
    await linkOutputs(tree, setup.outputs, cached);
    return { status: 'ran', key, run: result };
  } finally {
    await unlock().catch(() => undefined); // a compromised lock is released already
  }
}
