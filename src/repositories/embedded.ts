/**
 * The embedded default repository (issue 9, "The main job on a real repository"): on first run the
 * example project (`examples/repository/`) becomes a bare repository under the data directory, the
 * "remote" every worker clones, branches and pushes to, so that two worker processes (or an agent
 * worker elsewhere with access to the path) see the same branches.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { ORCHESTRATOR_IDENTITY } from './git';

/**
 * Directory names never copied into the seed, at any depth: set-up outputs and git's own directory
 * (a `node_modules` may be a symlink to a shared set-up, which git would otherwise commit as a link).
 */
const NEVER_SEEDED = new Set(['.git', 'node_modules']);
/** Top-level directories never copied into the seed: the test command's reports. */
const NEVER_SEEDED_AT_TOP = new Set(['reports']);

/** `git -c` settings of every seeding command: the identity, and no signing (no key on a CI machine). */
const GIT_CONFIG = [`user.name=${ORCHESTRATOR_IDENTITY.name}`, `user.email=${ORCHESTRATOR_IDENTITY.email}`, 'commit.gpgsign=false'];

/**
 * Makes sure the bare repository `remote` exists, seeding it from `source` when it does not.
 *
 * A new remote's `defaultBranch` holds one initial commit, authored and committed by
 * {@link ORCHESTRATOR_IDENTITY}, of the files of `source` git would track there: `source`'s own
 * `.gitignore` files apply (not those of a repository `source` sits in), and `node_modules` (any
 * depth), `.git` and the top-level `reports` are never included. The repository is built in a
 * temporary directory beside `remote` and renamed into place, so concurrent callers (threads or
 * processes) never see a half-built remote: the first rename wins, the others report `created: false`.
 *
 * @param remote path of the bare repository (its parent directories are created)
 * @param source directory whose files seed a new remote, e.g. `examples/repository`
 * @param defaultBranch branch of the initial commit, also the remote's `HEAD`
 * @returns `created`: whether this call created the remote; `commit`: the tip of `defaultBranch` (40 hex digits)
 * @throws Error when `remote` exists without a `defaultBranch` (or is no git repository), when a new
 *   remote's `source` is not a directory or has no file to commit, or when git fails
 */
export async function ensureSeededRemote(remote: string, source: string, defaultBranch: string): Promise<{ created: boolean; commit: string }> {
  if (await exists(remote)) return { created: false, commit: await branchTip(remote, defaultBranch) };
  if (!(await fs.stat(source).catch(() => undefined))?.isDirectory()) throw new Error(`cannot seed ${remote}: ${source} is not a directory`);
  await fs.mkdir(path.dirname(remote), { recursive: true });
  const temp = await fs.mkdtemp(`${remote}.seeding-`);
  try {
    const seed = path.join(temp, 'seed');
    await fs.cp(source, seed, { recursive: true, verbatimSymlinks: true, filter: (from) => seeded(source, from) });
    const git = simpleGit({ baseDir: seed, config: GIT_CONFIG });
    await git.raw(['init', `--initial-branch=${defaultBranch}`]);
    await git.raw(['add', '--all']);
    if ((await git.raw(['ls-files'])).trim() === '') throw new Error(`cannot seed ${remote}: ${source} has no file to commit`);
    await git.raw(['commit', '--no-verify', '--quiet', '--message', 'Initial commit']);
    const bare = path.join(temp, 'remote.git');
    await simpleGit({ baseDir: temp }).raw(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, bare]);
    await git.raw(['push', '--quiet', '--no-verify', bare, `refs/heads/${defaultBranch}`]);
    const commit = await branchTip(bare, defaultBranch);
    try {
      await fs.rename(bare, remote);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      return { created: false, commit: await branchTip(remote, defaultBranch) };
    }
    return { created: true, commit };
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/** Whether `from` (a path under `source`) is copied into the seed. */
function seeded(source: string, from: string): boolean {
  const name = path.basename(from);
  if (NEVER_SEEDED.has(name)) return false;
  return !(NEVER_SEEDED_AT_TOP.has(name) && path.dirname(from) === source);
}

/**
 * The commit `branch` of the repository at `repository` points to. `ls-remote` opens exactly that
 * path (it never walks up into a repository around it, as a command run inside it would).
 * @throws Error when the repository has no such branch or is no git repository
 */
async function branchTip(repository: string, branch: string): Promise<string> {
  const ref = `refs/heads/${branch}`;
  const listed = await simpleGit({ baseDir: path.dirname(repository) }).listRemote([repository, ref]);
  const commit = listed
    .split('\n')
    .map((line) => line.split('\t'))
    .find(([, name]) => name === ref)?.[0];
  if (!commit) throw new Error(`${repository} has no branch ${branch}`);
  return commit;
}

/** Whether `file` exists (a broken symlink counts). */
async function exists(file: string): Promise<boolean> {
  return (await fs.lstat(file).catch(() => undefined)) !== undefined;
}
