/**
 * Errors of the git work on repositories (issue 9): each carries the Temporal failure type an
 * activity raises for it (`failureType`) and whether retrying the same call can help (`retryable`).
 * Any other error of {@link RepositoryWorkspaces} (a git command that failed, a lock not obtained)
 * is transient: a retry repeats the idempotent operation.
 */

/** Failure type of {@link MergeConflictError} (non-retryable: the ticket is blocked with the files). */
export const MERGE_CONFLICT = 'MergeConflict';
/** Failure type of {@link IntegrationFailedError} (non-retryable: the ticket is blocked with the reasons). */
export const INTEGRATION_FAILED = 'IntegrationFailed';
/** Failure type of {@link PushRejectedError} (retryable: the remote moved, the next attempt starts from its state). */
export const PUSH_REJECTED = 'PushRejected';
/** Failure type of {@link BranchNotFoundError} (non-retryable: the ticket's branch must be created first). */
export const BRANCH_NOT_FOUND = 'BranchNotFound';

/** A classified failure of the git work: its Temporal failure type and whether a retry can help. */
export class WorkspaceError extends Error {
  constructor(
    readonly failureType: typeof MERGE_CONFLICT | typeof INTEGRATION_FAILED | typeof PUSH_REJECTED | typeof BRANCH_NOT_FOUND,
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Merging (or rebasing) the ticket branch onto the default branch conflicts; the default branch was not moved. */
export class MergeConflictError extends WorkspaceError {
  constructor(
    /** The conflicting paths, relative to the repository root, sorted. */
    readonly files: string[],
  ) {
    super(MERGE_CONFLICT, false, `merge conflict in ${files.join(', ')}`);
  }
}

/** The merged tree did not verify (red tests, a failed set-up, ...); the default branch was not moved. */
export class IntegrationFailedError extends WorkspaceError {
  constructor(
    /** The blocking reasons the verification gave, in its order. */
    readonly reasons: string[],
  ) {
    super(INTEGRATION_FAILED, false, `the merged tree failed verification: ${reasons.join('; ')}`);
  }
}

/** The remote refused a push (it moved meanwhile, or a hook declined); the local state was refetched. */
export class PushRejectedError extends WorkspaceError {
  constructor(
    /** The remote refs that were refused, e.g. `refs/heads/main`. */
    readonly refs: string[],
    /** What git said about each refused ref. */
    readonly details: string,
  ) {
    super(PUSH_REJECTED, true, `the remote rejected the push of ${refs.join(', ')}: ${details}`);
  }
}

/** The ticket's branch (or the default branch) does not exist on the remote: never created, or deleted. */
export class BranchNotFoundError extends WorkspaceError {
  constructor(readonly branch: string) {
    super(BRANCH_NOT_FOUND, false, `branch ${branch} does not exist on the remote`);
  }
}
