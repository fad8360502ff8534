/**
 * Running git for the repositories context (issue 9 "Branch and working tree per ticket"): one
 * git command through simple-git (the git CLI underneath, an argv array, never a shell string)
 * with an explicit, minimal environment and identities, so nothing depends on the machine's global
 * git configuration; and the locks that serialize the operations on a machine's cached clone.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { simpleGit } from 'simple-git';
import { ORCHESTRATOR_AGENT } from './contracts';
import { PushRejectedError } from './workspace-errors';

/** A git identity (author or committer). */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The committer of every commit the orchestrator makes, and the author of its merges. */
export const ORCHESTRATOR_IDENTITY: GitIdentity = { name: ORCHESTRATOR_AGENT, email: 'orchestrator@localhost' };

/** A git command that prints nothing for this long is killed, ms (a hung fetch or push). */
const GIT_SILENCE_TIMEOUT_MS = 300_000;

/**
 * Configuration passed with `-c` to every command, overriding whatever the machine's global
 * configuration says: no signing, paths printed verbatim, no advice noise (no command here opens
 * an editor: messages are always given).
 */
const GIT_CONFIG = ['commit.gpgsign=false', 'core.quotePath=false', 'advice.detachedHead=false'];

/** Variables of this process's environment git may need (search path, home, ssh agent, proxies); nothing else is passed. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'SSH_AUTH_SOCK', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/** Options of {@link git}. */
export interface GitOptions {
  /** Author of a commit the command makes (default {@link ORCHESTRATOR_IDENTITY}); the committer is always the orchestrator. */
  author?: GitIdentity;
  /** Aborting it kills the command (it then rejects). */
  signal?: AbortSignal;
}

/**
 * Runs `git <args>` in `dir` and resolves with its standard output (untrimmed).
 *
 * @throws GitError (simple-git) when git exits non-zero (message: its stderr and stdout), is
 *   killed after {@link GIT_SILENCE_TIMEOUT_MS} ms of silence, or `signal` aborts
 */
export async function git(dir: string, args: string[], { author = ORCHESTRATOR_IDENTITY, signal }: GitOptions = {}): Promise<string> {
  const env: Record<string, string> = {
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: ORCHESTRATOR_IDENTITY.name,
    GIT_COMMITTER_EMAIL: ORCHESTRATOR_IDENTITY.email,
  };
  for (const key of INHERITED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
  const client = simpleGit({
    baseDir: dir,
    config: GIT_CONFIG,
    timeout: { block: GIT_SILENCE_TIMEOUT_MS },
    ...(signal ? { abort: signal } : {}),
    allowEnvironment: Object.keys(env).filter((key) => key.startsWith('GIT_')),
    // Any non-zero exit is a failure (simple-git's default ignores one without stderr).
    errors: (error, result) => (result.exitCode !== 0 ? Buffer.concat([...result.stdErr, ...result.stdOut]) : error),
  }).env(env);
  return client.raw(args);
}

/** Runs `git <args>` in `dir` and resolves with its output trimmed (a commit, a ref, a path). */
export async function gitLine(dir: string, args: string[], options?: GitOptions): Promise<string> {
  return (await git(dir, args, options)).trim();
}

/** The commit `ref` names in `dir`, or null when no such ref exists (exact ref name, e.g. `refs/remotes/origin/main`). */
export async function refCommit(dir: string, ref: string): Promise<string | null> {
  const out = await git(dir, ['for-each-ref', '--format=%(refname)%00%(objectname)', ref]);
  for (const line of out.split('\n')) {
    const [name, commit] = line.split('\0');
    if (name === ref && commit) return commit;
  }
  return null;
}

/** Whether commit `ancestor` is an ancestor of (or equal to) commit `descendant`. */
export async function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  const base = await gitLine(dir, ['merge-base', ancestor, descendant]).catch(() => '');
  return base !== '' && base === (await gitLine(dir, ['rev-parse', '--verify', `${ancestor}^{commit}`]));
}

/** The lock options of a machine's cached clone: a crashed holder's lock goes stale after 30 s (refreshed every 10 s while held). */
const LOCK_STALE_MS = 30_000;
/** How long to wait for another process's lock: up to 600 tries 0.5–1 s apart (about 5–10 min). */
const LOCK_RETRIES = { retries: 600, factor: 1, minTimeout: 500, maxTimeout: 1000 };

/** The tail of each lock's queue in this process: proper-lockfile cannot tell two holders in one process apart. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the lock of `target` (a path that need not exist: the lock is the directory
 * `<target>.lock`, whose parent is created if missing): first in this process's queue for that
 * lock, then across the machine's processes (proper-lockfile). Released when `fn` settles.
 *
 * @throws Error when another process holds the lock for longer than {@link LOCK_RETRIES} allow,
 *   or the lock was compromised (taken over as stale) while `fn` ran; otherwise what `fn` throws
 */
export async function withLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(target) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => holding(target, fn));
  queues.set(target, run);
  try {
    return await run;
  } finally {
    if (queues.get(target) === run) queues.delete(target);
  }
}

async function holding<T>(target: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(target), { recursive: true });
  let compromised: Error | null = null;
  const release = await lockfile
    .lock(target, {
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 3,
      retries: LOCK_RETRIES,
      onCompromised: (error) => {
        compromised = error;
      },
    })
    .catch((error: Error) => {
      throw new Error(`could not lock ${target}: ${error.message}`);
    });
  try {
    const result = await fn();
    if (compromised) throw new Error(`the lock of ${target} was lost while it was held: ${(compromised as Error).message}`);
    return result;
  } finally {
    if (!compromised) await release();
  }
}

/** Options of {@link push}. */
export interface PushOptions {
  /** All refs are updated or none (`--atomic`). */
  atomic?: boolean;
  /**
   * Remote refs that may be moved non-fast-forward (or must not exist yet), each with the commit
   * it must still point at (`''`: the ref must not exist): `--force-with-lease=<ref>:<expected>`.
   */
  leases?: Record<string, string>;
  signal?: AbortSignal;
}

/** One line of `git push --porcelain`: flag, `<local>:<remote>`, summary. */
const PUSH_LINE = /^([ +\-*=!])\t([^\t\n]*)\t([^\n]*)$/gm;

/**
 * Pushes `refspecs` (`<commit>:refs/heads/<name>`, or `:refs/heads/<name>` to delete) to `origin`
 * from `dir` and tells whether any remote ref changed (false: all were up to date).
 *
 * @throws PushRejectedError when the remote refused a ref (not a fast-forward, stale lease, a hook declined)
 * @throws GitError when git failed otherwise (e.g. the remote is unreachable)
 */
export async function push(dir: string, refspecs: string[], { atomic = false, leases = {}, signal }: PushOptions = {}): Promise<boolean> {
  const args = ['push', '--porcelain', ...(atomic ? ['--atomic'] : [])];
  for (const [ref, expected] of Object.entries(leases)) args.push(`--force-with-lease=${ref}:${expected}`);
  let output: string;
  try {
    output = await git(dir, [...args, 'origin', ...refspecs], { signal });
  } catch (error) {
    const message = (error as Error).message;
    const refused = [...message.matchAll(PUSH_LINE)]
      .filter(([, flag]) => flag === '!')
      .map(([, , refspec = '', summary = '']) => ({
        ref: refspec.slice(refspec.indexOf(':') + 1),
        summary,
      }));
    if (refused.length === 0) throw error;
    throw new PushRejectedError(
      refused.map(({ ref }) => ref),
      refused.map(({ ref, summary }) => `${ref} ${summary}`).join('; '),
    );
  }
  return [...output.matchAll(PUSH_LINE)].some(([, flag]) => flag !== '=');
}
