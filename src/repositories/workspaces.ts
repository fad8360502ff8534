/**
 * A ticket's branch and working trees (issue 9 "Branch and working tree per ticket", "Deployment
 * integrates"). The source of truth is the repository's remote: a machine keeps one cached clone
 * per repository URL (`<cacheDir>/<repo>-<url hash>/clone`, created on first use) and works each ticket in a
 * `git worktree` of it (`<workspacesDir>/<ticketId>`), synced from the remote before every task and
 * pushed after the orchestrator's commit, so any machine that can reach the remote can take the
 * next task. Every operation on a clone's shared state (fetch, worktrees, refs, pushes) holds the
 * clone's lock (in this process, then across the machine's processes through proper-lockfile:
 * `<cacheDir>/<repo>-<url hash>/clone.lock`); an integration also holds `…/integration.lock`
 * for its integration tree, verification included.
 * Plain async methods: the activities call them; they are idempotent, so a retry is safe.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { CodeChanges, ChangedFile, IntegrationMode, RepositorySpec } from './contracts';
import { git, gitLine, isAncestor, push, refCommit, withLock, type GitIdentity } from './git';
import { integratingCommit, mergeInto, rebaseOnto } from './integration';
import { BranchNotFoundError, IntegrationFailedError, PushRejectedError } from './workspace-errors';

export { BranchNotFoundError, IntegrationFailedError, MergeConflictError, PushRejectedError, WorkspaceError } from './workspace-errors';

/** Where a machine keeps its clones and the tickets' working trees. */
export interface WorkspacesOptions {
  /** One directory per repository: its cached clone, integration tree and locks. */
  cacheDir: string;
  /** The tickets' working trees, `<workspacesDir>/<ticketId>` (WORKSPACES_DIR). */
  workspacesDir: string;
}

/** The ticket branch on the remote after {@link RepositoryWorkspaces.ensureBranch}. */
export interface EnsuredBranch {
  /** The default-branch commit the branch was created from (an existing branch: its merge base with the default branch). */
  base: string;
  /** The branch's commit on the remote. */
  head: string;
  /** Whether this call created the branch (false: it existed, or another worker created it first). */
  created: boolean;
}

/** A ticket's working tree synced from the remote ({@link RepositoryWorkspaces.prepareTree}). */
export interface PreparedTree {
  /** Absolute path of the working tree. */
  tree: string;
  /** The branch commit checked out. */
  head: string;
  /** Merge base of `head` with the default branch. */
  base: string;
  /** Whether local commits the remote lacked (a push lost in a crash) were pushed now. */
  pushedLost: boolean;
}

/** The commit the orchestrator makes after an agent task ({@link RepositoryWorkspaces.commitTask}). */
export interface TaskCommit {
  /** First line and body, e.g. `<key> <task type>: <summary>`. */
  message: string;
  /** The agent that did the work. */
  author: GitIdentity;
  /** Trailers, e.g. `Ticket`, `Task`, `Attempt`, `Agent`; `Task` with `Attempt` identify the attempt. */
  trailers: Record<string, string>;
}

/** What {@link RepositoryWorkspaces.commitTask} did. */
export interface CommittedTask {
  /** The attempt's commit (made now, or found from an earlier try), or null when the task changed nothing. */
  commit: string | null;
  /** Whether this call pushed commits to the remote branch (false: the remote already had them). */
  pushed: boolean;
}

/** Options of {@link RepositoryWorkspaces.integrate}. */
export interface IntegrateOptions {
  /**
   * Verifies the merged tree (runs set-up and tests in `tree`, checked out at `commit`) and
   * resolves with the blocking reasons, `[]` when green.
   */
  verify: (tree: string, commit: string) => Promise<string[]>;
  /** The ticket key of the merge commit's `Ticket:` trailer (default: the branch name without `tickets/`). */
  ticket?: string;
  /** Aborting it stops the integration before the default branch is pushed. */
  signal?: AbortSignal;
}

/** What {@link RepositoryWorkspaces.integrate} did. */
export interface Integration {
  mode: IntegrationMode;
  /** The ticket branch's head (in `rebase` mode: the rebased head, which the branch now points at). */
  head: string;
  /** The commit that brought the branch into the default branch (merge commit, or the fast-forwarded head); null in `branch-only` mode. */
  mergeCommit: string | null;
  /** Whether the branch was already in the default branch (an earlier try pushed it): nothing was pushed. */
  alreadyIntegrated: boolean;
}

/** Names used as directory names: a repository's name, a ticket's ID. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws unless `name` can be used as one directory name. */
function checkName(kind: string, name: string): void {
  if (!SAFE_NAME.test(name) || name.includes('..')) throw new Error(`${kind} ${JSON.stringify(name)} cannot name a directory`);
}

/** The absolute path with symbolic links resolved (those of its existing part, when it does not exist), to compare with git's. */
function canonical(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(canonical(parent), basename(absolute));
}

/** One entry of `git worktree list`. */
interface WorktreeEntry {
  path: string;
  /** `refs/heads/<branch>`, or null when detached. */
  branch: string | null;
}

/** The worktrees of the clone in `dir`. */
async function worktrees(dir: string): Promise<WorktreeEntry[]> {
  const out = await git(dir, ['worktree', 'list', '--porcelain', '-z']);
  const entries: WorktreeEntry[] = [];
  let entry: WorktreeEntry | null = null;
  for (const field of out.split('\0')) {
    if (field.startsWith('worktree ')) entries.push((entry = { path: canonical(field.slice('worktree '.length)), branch: null }));
    else if (field.startsWith('branch ') && entry) entry.branch = field.slice('branch '.length);
  }
  return entries;
}

/**
 * The `info/exclude` lines of a repository: its set-up outputs (no trailing slash: they may be
 * symbolic links) and its test and coverage report files, each anchored at the root with its glob
 * characters escaped, so `git add --all` never commits them (anything else the tools write, e.g.
 * the rest of a coverage directory, is the repository's own `.gitignore`'s business).
 */
export function excludePatterns(repo: RepositorySpec): string[] {
  const paths = [...(repo.setup?.outputs ?? []), repo.test.report.path, ...(repo.coverage ? [repo.coverage.path] : [])];
  const relative = paths.map((path) => posix.normalize(path).replace(/^(\.\/)+|\/+$/g, ''));
  return [...new Set(relative)].filter((path) => path && path !== '.').map((path) => `/${path.replace(/[\\*?[]/g, '\\$&')}`);
}

/** Age past which a git lock file in a clone is stale, ms: git holds one for a single short update. */
const STALE_GIT_LOCK_MS = 60_000;

/**
 * Removes the stale git lock files (`index.lock`, `HEAD.lock`, `packed-refs.lock`, `config.lock`,
 * `refs/.../<name>.lock`, the worktrees' own) of a clone's git directory, older than
 * {@link STALE_GIT_LOCK_MS}: a git process killed mid-update (a SIGKILLed worker) leaves one
 * behind, and every later command touching that file would fail. Called holding the clone's lock.
 */
async function removeStaleGitLocks(gitDir: string): Promise<void> {
  const now = Date.now();
  const places = await Promise.all([
    readdir(gitDir, { withFileTypes: true }),
    ...['refs', 'worktrees'].map((dir) => readdir(join(gitDir, dir), { recursive: true, withFileTypes: true }).catch(() => [])),
  ]);
  for (const entry of places.flat()) {
    if (!entry.isFile() || !entry.name.endsWith('.lock')) continue;
    const path = join(entry.parentPath, entry.name);
    const stats = await stat(path).catch(() => null);
    if (stats && now - stats.mtimeMs > STALE_GIT_LOCK_MS) await rm(path, { force: true });
  }
}

/** Handles a machine's clones and its tickets' working trees; see the module comment. */
export class RepositoryWorkspaces {
  constructor(private readonly options: WorkspacesOptions) {}

  /** The working tree of a ticket: `<workspacesDir>/<ticketId>`. */
  treePath(ticketId: string): string {
    checkName('ticket ID', ticketId);
    return resolve(this.options.workspacesDir, ticketId);
  }

  /** This machine's cached clone of `repo`: `<cacheDir>/<name>-<url hash>/clone`. */
  clonePath(repo: RepositorySpec): string {
    return this.paths(repo).clone;
  }

  /** The directories of a repository on this machine. */
  private paths(repo: RepositorySpec) {
    checkName('repository name', repo.name);
    // Keyed by the URL too: a repository whose URL changed (PATCH) gets a clone of its new remote.
    const root = resolve(this.options.cacheDir, `${repo.name}-${createHash('sha256').update(repo.url).digest('hex').slice(0, 12)}`);
    return {
      root,
      clone: join(root, 'clone'),
      integration: join(root, 'integration'),
    };
  }

  /** Runs `fn` holding the repository's clone lock, without creating the clone. */
  private withCloneLock<T>(repo: RepositorySpec, fn: () => Promise<T>): Promise<T> {
    return withLock(this.paths(repo).clone, fn);
  }

  /**
   * Runs `fn` with the repository's clone (created on first use, its `origin` URL and
   * `info/exclude` brought up to date) holding the clone lock.
   */
  private withClone<T>(repo: RepositorySpec, fn: (clone: string) => Promise<T>): Promise<T> {
    const { root, clone } = this.paths(repo);
    return this.withCloneLock(repo, async () => {
      if (!existsSync(join(clone, '.git'))) {
        // Cloned aside, then renamed: a crash mid-clone never leaves a half clone in place.
        const partial = join(root, 'clone.partial');
        await rm(partial, { recursive: true, force: true });
        await git(root, ['clone', '--no-checkout', '--origin', 'origin', '--', repo.url, partial]);
        await rename(partial, clone);
      } else if ((await gitLine(clone, ['config', '--get', 'remote.origin.url'])) !== repo.url) {
        await git(clone, ['remote', 'set-url', 'origin', repo.url]);
      }
      await removeStaleGitLocks(join(clone, '.git'));
      const exclude = join(clone, '.git', 'info', 'exclude');
      await mkdir(dirname(exclude), { recursive: true });
      await writeFile(exclude, ['# Written by the orchestrator: the repository set-up outputs and reports', ...excludePatterns(repo), ''].join('\n'));
      return fn(clone);
    });
  }

  /** Fetches every branch of `origin` into the clone (pruning deleted ones). */
  private async fetch(clone: string): Promise<void> {
    await git(clone, ['fetch', '--prune', 'origin']);
  }

  /** The default branch's commit on the remote (as last fetched). */
  private async defaultTip(clone: string, repo: RepositorySpec): Promise<string> {
    const tip = await refCommit(clone, `refs/remotes/origin/${repo.defaultBranch}`);
    if (!tip) throw new BranchNotFoundError(repo.defaultBranch);
    return tip;
  }

  /**
   * Makes sure the ticket branch exists on the remote: when missing, creates it at the default
   * branch's tip and pushes it (only if the remote still lacks it: when two workers race, one push
   * wins and the other adopts the remote's branch). Idempotent.
   *
   * @throws BranchNotFoundError when the remote has no default branch
   * @throws GitError when the remote cannot be reached (retryable)
   */
  async ensureBranch(repo: RepositorySpec, branch: string): Promise<EnsuredBranch> {
    return this.withClone(repo, async (clone) => {
      await this.fetch(clone);
      const tip = await this.defaultTip(clone, repo);
      const ref = `refs/heads/${branch}`;
      let head = await refCommit(clone, `refs/remotes/origin/${branch}`);
      if (!head) {
        // The lease makes the push fail if another worker created the branch meanwhile; "up to date" means it created it at the same tip.
        const created = await push(clone, [`${tip}:${ref}`], { leases: { [ref]: '' } }).catch((error: unknown) => {
          if (error instanceof PushRejectedError) return false;
          throw error;
        });
        if (created) return { base: tip, head: tip, created: true };
        await this.fetch(clone);
        head = await refCommit(clone, `refs/remotes/origin/${branch}`);
        if (!head) throw new BranchNotFoundError(branch);
      }
      return { base: await gitLine(clone, ['merge-base', head, tip]), head, created: false };
    });
  }

  /**
   * Syncs the ticket's working tree from the remote before a task: fetches; when the local branch
   * holds commits the remote lacks and the remote is an ancestor of it (a push lost in a crash),
   * pushes them; when it is behind or diverged, resets it to the remote. The tree is created when
   * missing (a tree whose directory was deleted is pruned and recreated, a directory that is no
   * worktree of the clone is replaced), checked out on the branch, with uncommitted changes
   * discarded and untracked, non-ignored files removed (ignored ones, e.g. set-up outputs, stay).
   *
   * @throws BranchNotFoundError when the remote has no such branch (see {@link ensureBranch}) or no default branch
   * @throws PushRejectedError when pushing the lost commits was refused (retryable)
   */
  async prepareTree(repo: RepositorySpec, ticketId: string, branch: string): Promise<PreparedTree> {
    const tree = this.treePath(ticketId);
    return this.withClone(repo, async (clone) => {
      await this.fetch(clone);
      const remote = await refCommit(clone, `refs/remotes/origin/${branch}`);
      if (!remote) throw new BranchNotFoundError(branch);
      const local = await refCommit(clone, `refs/heads/${branch}`);
      let head = remote;
      let pushedLost = false;
      if (local && local !== remote && (await isAncestor(clone, remote, local))) {
        await push(clone, [`${local}:refs/heads/${branch}`]);
        head = local;
        pushedLost = true;
      }
      await git(clone, ['worktree', 'prune']);
      const registered = (await worktrees(clone)).some((entry) => entry.path === canonical(tree));
      // A process of this machine with another workspaces directory may have the branch checked out
      // too (git would refuse to move it): each tree is reset to the branch's head before every task,
      // so the branch is moved by ref and both trees may have it.
      await git(clone, ['update-ref', `refs/heads/${branch}`, head]);
      if (registered) {
        await git(tree, ['checkout', '--force', '--ignore-other-worktrees', branch]);
      } else {
        await rm(tree, { recursive: true, force: true });
        await mkdir(this.options.workspacesDir, { recursive: true });
        await git(clone, ['worktree', 'add', '--force', tree, branch]);
      }
      await git(tree, ['reset', '--hard', head]);
      await git(tree, ['clean', '--force', '--force', '-d']);
      return { tree, head, base: await gitLine(clone, ['merge-base', head, await this.defaultTip(clone, repo)]), pushedLost };
    });
  }

  /**
   * Commits what an agent task changed in `tree` (on `branch`) and pushes it: stages everything
   * (`git add --all`; the clone's excludes hold), and commits with the message, a blank line and
   * the trailers (`Key: value` lines); author the agent, committer the orchestrator. When the
   * branch's history (beyond the default branch) already holds a commit with the same `Task` and
   * `Attempt` trailers (a retry after a crash), no second commit is made: that one is returned.
   * Unpushed commits are pushed even when nothing changed.
   *
   * @throws PushRejectedError when the remote branch moved meanwhile (the clone is refetched; retryable)
   * @throws Error when `tree` is not checked out on `branch`
   */
  async commitTask(tree: string, branch: string, repo: RepositorySpec, commit: TaskCommit): Promise<CommittedTask> {
    return this.withClone(repo, async (clone) => {
      const current = await gitLine(tree, ['rev-parse', '--symbolic-full-name', 'HEAD']);
      if (current !== `refs/heads/${branch}`) throw new Error(`the tree ${tree} is not on branch ${branch} (HEAD is ${current})`);
      await git(tree, ['add', '--all']);
      let made = await this.attemptCommit(tree, repo, commit.trailers);
      if (!made && (await git(tree, ['diff', '--cached', '--name-only', '-z'])) !== '') {
        const file = resolve(tree, await gitLine(tree, ['rev-parse', '--git-path', 'ORCHESTRATOR_COMMIT_MSG']));
        const trailers = Object.entries(commit.trailers).map(([key, value]) => `${key}: ${value.replace(/\s+/g, ' ').trim()}`);
        await writeFile(file, `${commit.message.trim()}\n\n${trailers.join('\n')}\n`);
        await git(tree, ['commit', '--no-verify', '--cleanup=whitespace', `--file=${file}`], { author: commit.author });
        await rm(file, { force: true });
        made = await gitLine(tree, ['rev-parse', 'HEAD']);
      }
      try {
        return { commit: made, pushed: await push(tree, [`HEAD:refs/heads/${branch}`]) };
      } catch (error) {
        if (error instanceof PushRejectedError) await this.fetch(clone);
        throw error;
      }
    });
  }

  /** The commit of HEAD's history beyond the default branch with the same `Task` and `Attempt` trailers, if any. */
  private async attemptCommit(tree: string, repo: RepositorySpec, trailers: Record<string, string>): Promise<string | null> {
    const task = trailers.Task;
    const attempt = trailers.Attempt;
    if (task === undefined || attempt === undefined) return null;
    const format = '%H%x1f%(trailers:key=Task,valueonly,separator=%x2C)%x1f%(trailers:key=Attempt,valueonly,separator=%x2C)';
    const out = await git(tree, ['log', '-z', `--format=${format}`, 'HEAD', '--not', `refs/remotes/origin/${repo.defaultBranch}`, '--']);
    for (const record of out.split('\0')) {
      const [commit, tasks, attempts] = record.split('\x1f').map((field) => field.trim());
      if (commit && tasks?.split(',').includes(task) && attempts?.split(',').includes(attempt)) return commit;
    }
    return null;
  }

  /**
   * The `code_changes` of a ticket's tree: `git diff --numstat <base>...HEAD` per file (binary
   * files count 0 insertions and 0 deletions; a rename is a deletion and an addition), whether
   * each path matches `testPaths` (picomatch globs, dotfiles included), and the changed test files.
   */
  async changes(tree: string, base: string, testPaths: string[]): Promise<CodeChanges> {
    const isTest = testPaths.length > 0 ? picomatch(testPaths, { dot: true }) : () => false;
    const out = await git(tree, ['diff', '--numstat', '-z', '--no-renames', `${base}...HEAD`, '--']);
    const files: ChangedFile[] = [];
    for (const line of out.split('\0')) {
      const [, insertions, deletions, path] = /^(\d+|-)\t(\d+|-)\t(.+)$/s.exec(line) ?? [];
      if (!insertions || !deletions || !path) continue;
      const count = (value: string) => (value === '-' ? 0 : Number(value));
      files.push({ path, insertions: count(insertions), deletions: count(deletions), test: isTest(path) });
    }
    return {
      base,
      head: await gitLine(tree, ['rev-parse', 'HEAD']),
      files,
      insertions: files.reduce((sum, file) => sum + file.insertions, 0),
      deletions: files.reduce((sum, file) => sum + file.deletions, 0),
      tests: files.filter((file) => file.test).map((file) => file.path),
    };
  }

  /** The paths added or modified between commits `from` and `to` in `tree` (deleted ones left out), relative to the root. */
  async changedPaths(tree: string, from: string, to: string): Promise<string[]> {
    const out = await git(tree, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=d', from, to, '--']);
    return out.split('\0').filter(Boolean);
  }

  /**
   * Integrates the ticket branch into the default branch, in the clone's integration tree
   * (`<cacheDir>/<repo>-<url hash>/integration`, detached), holding the repository's integration lock:
   * fetches; `branch-only` only reports the branch's head; a branch already in the default branch
   * is reported `alreadyIntegrated` (an earlier try pushed it); else merges it (`merge`: a merge
   * commit `Merge <branch>` with trailer `Ticket:`) or rebases it onto the default branch
   * (`rebase`), calls `verify` on the result, and only when it is green pushes it as the default
   * branch (in `rebase` mode the ticket branch moves to the rebased head in the same atomic push).
   * The remote's default branch is moved by that push only.
   *
   * @throws MergeConflictError (non-retryable; nothing pushed)
   * @throws IntegrationFailedError when `verify` gave reasons (non-retryable; nothing pushed)
   * @throws PushRejectedError when the remote moved meanwhile (retryable)
   * @throws BranchNotFoundError when the remote lacks the ticket branch or the default branch
   * @throws the signal's reason when `signal` aborted before the push
   */
  async integrate(repo: RepositorySpec, branch: string, { verify, ticket = branch.replace(/^tickets\//, ''), signal }: IntegrateOptions): Promise<Integration> {
    const { integration } = this.paths(repo);
    const mode = repo.integration;
    return withLock(integration, async () => {
      const merged = await this.withClone(repo, async (clone): Promise<Integration | { head: string; commit: string; target: string }> => {
        await this.fetch(clone);
        const head = await refCommit(clone, `refs/remotes/origin/${branch}`);
        if (!head) throw new BranchNotFoundError(branch);
        if (mode === 'branch-only') return { mode, head, mergeCommit: null, alreadyIntegrated: false };
        const target = await this.defaultTip(clone, repo);
        if (await isAncestor(clone, head, target)) return { mode, head, mergeCommit: await integratingCommit(clone, head, target), alreadyIntegrated: true };
        await this.resetIntegrationTree(clone, integration, target);
        const commit = mode === 'merge' ? await mergeInto(integration, head, branch, ticket) : await rebaseOnto(integration, head, target);
        return { head, commit, target };
      });
      if ('mode' in merged) return merged;
      const { head, commit, target } = merged;
      signal?.throwIfAborted();
      const reasons = await verify(integration, commit);
      if (reasons.length > 0) throw new IntegrationFailedError(reasons);
      signal?.throwIfAborted();
      await this.withClone(repo, async (clone) => {
        const refspecs = [`${commit}:refs/heads/${repo.defaultBranch}`];
        const leases: Record<string, string> = {};
        if (mode === 'rebase' && commit !== head) {
          refspecs.push(`${commit}:refs/heads/${branch}`);
          leases[`refs/heads/${branch}`] = head;
        }
        try {
          await push(clone, refspecs, { atomic: true, leases, signal });
        } catch (error) {
          if (error instanceof PushRejectedError) await this.fetch(clone);
          throw error;
        }
      });
      return { mode, head: mode === 'rebase' ? commit : head, mergeCommit: commit, alreadyIntegrated: commit === target };
    });
  }

  /** Makes the integration tree a clean, detached checkout of `target` (created, or recovered from an interrupted merge or rebase). */
  private async resetIntegrationTree(clone: string, dir: string, target: string): Promise<void> {
    await git(clone, ['worktree', 'prune']);
    if (!(await worktrees(clone)).some((entry) => entry.path === canonical(dir))) {
      await rm(dir, { recursive: true, force: true });
      await git(clone, ['worktree', 'add', '--detach', dir, target]);
      return;
    }
    for (const state of ['rebase-merge', 'rebase-apply']) {
      if (existsSync(resolve(dir, await gitLine(dir, ['rev-parse', '--git-path', state])))) await git(dir, ['rebase', '--quit']);
    }
    await git(dir, ['reset', '--hard']);
    await git(dir, ['checkout', '--force', '--detach', target]);
    await git(dir, ['clean', '--force', '--force', '-d']);
  }

  /**
   * Removes a ticket's working tree (DONE, cancel); its local branch goes too when the remote has
   * all of it. The remote branch stays (see {@link deleteBranch}). Idempotent.
   */
  async removeTree(repo: RepositorySpec, ticketId: string): Promise<void> {
    const tree = this.treePath(ticketId);
    const { clone } = this.paths(repo);
    await this.withCloneLock(repo, async () => {
      if (existsSync(join(clone, '.git'))) {
        const entry = (await worktrees(clone)).find((candidate) => candidate.path === canonical(tree));
        if (entry && existsSync(tree)) await git(clone, ['worktree', 'remove', '--force', '--force', tree]);
        await git(clone, ['worktree', 'prune']);
        const branch = entry?.branch?.replace(/^refs\/heads\//, '');
        if (branch) {
          const local = await refCommit(clone, `refs/heads/${branch}`);
          if (local && local === (await refCommit(clone, `refs/remotes/origin/${branch}`))) await git(clone, ['branch', '--delete', '--force', branch]);
        }
      }
      await rm(tree, { recursive: true, force: true });
    });
  }

  /**
   * Deletes the ticket branch on the remote (when `keepBranches` is false), and the clone's local
   * branch unless a working tree still has it checked out. Idempotent.
   *
   * @returns whether the remote had the branch
   */
  async deleteBranch(repo: RepositorySpec, branch: string): Promise<boolean> {
    return this.withClone(repo, async (clone) => {
      await this.fetch(clone);
      const existed = (await refCommit(clone, `refs/remotes/origin/${branch}`)) !== null;
      if (existed) await push(clone, [`:refs/heads/${branch}`]);
      const checkedOut = (await worktrees(clone)).some((entry) => entry.branch === `refs/heads/${branch}`);
      if (!checkedOut && (await refCommit(clone, `refs/heads/${branch}`))) await git(clone, ['branch', '--delete', '--force', branch]);
      return existed;
    });
  }
}
