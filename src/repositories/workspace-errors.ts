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

/** Merging (or rebasing) the ticket branch onto the default branch conflicts; the default branch was not moved. */
export class MergeConflictError extends Error {
  readonly failureType = MERGE_CONFLICT;
  readonly retryable = false;
  constructor(
    /** The conflicting paths, relative to the repository root, sorted. */
    readonly files: string[],
  ) {
    super(`merge conflict in ${files.join(', ')}`);
    this.name = 'MergeConflictError';
  }
}

/** The merged tree did not verify (red tests, a failed set-up, ...); the default branch was not moved. */
export class IntegrationFailedError extends Error {
  readonly failureType = INTEGRATION_FAILED;
  readonly retryable = false;
  constructor(
    /** The blocking reasons the verification gave, in its order. */
    readonly reasons: string[],
  ) {
    super(`the merged tree failed verification: ${reasons.join('; ')}`);
    this.name = 'IntegrationFailedError';
  }
}

/** The remote refused a push (it moved meanwhile, or a hook declined); the local state was refetched. */
export class PushRejectedError extends Error {
  readonly failureType = PUSH_REJECTED;
  readonly retryable = true;
  constructor(
    /** The remote refs that were refused, e.g. `refs/heads/main`. */
    readonly refs: string[],
    /** What git said about each refused ref. */
    readonly details: string,
  ) {
    super(`the remote rejected the push of ${refs.join(', ')}: ${details}`);
    this.name = 'PushRejectedError';
  }
}

/** The ticket's branch does not exist on the remote (it was never created, or was deleted). */
export class BranchNotFoundError extends Error {
  readonly failureType = BRANCH_NOT_FOUND;
  readonly retryable = false;
  constructor(readonly branch: string) {
    super(`branch ${branch} does not exist on the remote`);
    this.name = 'BranchNotFoundError';
  }
}
