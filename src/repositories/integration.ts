/**
 * The git steps of DEPLOYMENT's integration (issue 9 "Deployment integrates"), in the integration
 * working tree of a machine's cached clone (a detached `git worktree`): merge the ticket branch
 * with a merge commit, or rebase it onto the default branch; on a conflict, abort and name the
 * files; and find how an already integrated branch got in. Moving the default branch on the remote
 * is the caller's final push ({@link RepositoryWorkspaces.integrate}).
 */
import { git, gitLine } from './git';
import { MergeConflictError } from './workspace-errors';

/** The unmerged paths of `dir`'s index (a stopped merge or rebase), sorted. */
async function conflictFiles(dir: string): Promise<string[]> {
  const out = await git(dir, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

/**
 * Runs `operation` (a merge or a rebase in `dir`); when it stops on conflicts, runs `abort` and
 * throws {@link MergeConflictError} naming the files.
 */
async function orAbortOnConflict(dir: string, operation: string[], abort: string[]): Promise<void> {
  try {
    await git(dir, operation);
  } catch (error) {
    const files = await conflictFiles(dir);
    if (files.length === 0) throw error;
    await git(dir, abort);
    throw new MergeConflictError(files);
  }
}

/**
 * Merges commit `head` into the detached HEAD of `dir` with a merge commit (`--no-ff`), message
 * `Merge <branch>` and trailer `Ticket: <ticket>`; author and committer the orchestrator.
 *
 * @returns the merge commit
 * @throws MergeConflictError (the merge was aborted: `dir` is back at its HEAD)
 */
export async function mergeInto(dir: string, head: string, branch: string, ticket: string): Promise<string> {
  await orAbortOnConflict(
    dir,
    ['merge', '--no-ff', '--no-edit', '--no-verify', '-m', `Merge ${branch}`, '-m', `Ticket: ${ticket}`, head],
    ['merge', '--abort'],
  );
  return gitLine(dir, ['rev-parse', 'HEAD']);
}

/**
 * Checks out commit `head` detached in `dir` and rebases it onto commit `onto` (commits already
 * upstream are dropped, authors kept, the orchestrator commits).
 *
 * @returns the rebased head (`onto` itself when nothing was left to apply)
 * @throws MergeConflictError (the rebase was aborted)
 */
export async function rebaseOnto(dir: string, head: string, onto: string): Promise<string> {
  await git(dir, ['checkout', '--force', '--detach', head]);
  await orAbortOnConflict(dir, ['rebase', onto], ['rebase', '--abort']);
  return gitLine(dir, ['rev-parse', 'HEAD']);
}

/**
 * How `head`, already an ancestor of `target`, got into it: the oldest merge commit on the path
 * from `head` to `target` whose second parent is `head`, else `head` itself (fast-forwarded or
 * rebased in).
 */
export async function integratingCommit(dir: string, head: string, target: string): Promise<string> {
  const out = await git(dir, ['rev-list', '--merges', '--parents', '--ancestry-path', '--reverse', `${head}..${target}`]);
  for (const line of out.split('\n')) {
    const [commit, , second] = line.trim().split(' ');
    if (commit && second === head) return commit;
  }
  return head;
}
