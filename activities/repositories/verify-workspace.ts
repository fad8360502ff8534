/**
 * The `verifyWorkspace` activity (issue 9): the orchestrator's own check of a ticket's tree, run as
 * the `verify_workspace` task of IMPLEMENTATION and TESTING. It syncs the ticket's working tree
 * from the remote, runs the repository's set-up (when its inputs changed) and test command, and
 * completes the task with `code_changes`, `test_results`, `test_coverage` and `test_evidence`.
 * Red tests, a hung test command (killed at its timeout) or a missing report are recorded for the
 * gate to judge, not thrown.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { TaskExecution, TaskRef } from '../../src/agents/contracts';
import { TaskStatus } from '../../src/phase-work/tasks';
import { loadTaskWithTicket, startExecution, storeCompletion } from '../../src/phase-work/task-store';
import type { Logger } from '../../src/platform/logger';
import { verificationResult } from '../../src/repositories/artifacts';
import { ORCHESTRATOR_AGENT } from '../../src/repositories/contracts';
import type { TicketTrees } from '../../src/repositories/ticket-trees';
import { verifyTree } from '../../src/repositories/verification';
import { asActivity } from '../failures';
import { whileHeartbeating } from '../heartbeat';

/** What the repository activities need. */
export interface RepositoryActivityDependencies {
  prisma: PrismaClient;
  trees: TicketTrees;
  /** Directory of this machine's set-up outputs, shared between working trees per inputs hash. */
  setupCacheDir: string;
  logger: Logger;
}

/** Interval between the heartbeats of the repository activities' git steps, ms (their heartbeat timeout is 30 s). */
export const HEARTBEAT_INTERVAL_MS = 5000;

/** Failure type of a `verify_workspace` or `integrate_branch` task whose ticket has no repository. */
export const NO_REPOSITORY = 'NoRepository';

/**
 * Builds the `verifyWorkspace` activity. Idempotent: a completed task returns at once; a retry
 * runs the checks again on the branch's head and replaces nothing twice (artifacts are keyed).
 *
 * @returns {@link TaskExecution} once the verification is stored
 * @throws ApplicationFailure TaskNotFound, NoRepository (non-retryable); git errors (retryable);
 *   CancelledFailure when cancelled (the test command's process group is killed)
 */
export function createVerifyWorkspace({ prisma, trees, setupCacheDir, logger }: RepositoryActivityDependencies) {
  return async function verifyWorkspace({ taskId }: TaskRef): Promise<TaskExecution> {
    const context = Context.current();
    const task = await asActivity(() => loadTaskWithTicket(prisma, taskId));
    if (task.status === TaskStatus.COMPLETED) return { taskId, status: TaskStatus.COMPLETED, agent: ORCHESTRATOR_AGENT };
    const [attempt, tree] = await Promise.all([
      startExecution(prisma, task, ORCHESTRATOR_AGENT, null),
      whileHeartbeating(HEARTBEAT_INTERVAL_MS, { step: 'preparing the tree' }, () => trees.prepare(task.ticketId)),
    ]);
    if (!tree) throw ApplicationFailure.nonRetryable(`ticket ${task.ticketId} has no repository to verify`, NO_REPOSITORY);
    const log = logger.child({ taskId, taskType: task.taskType, attempt, repository: tree.repository.name, commit: tree.head });
    const verification = await verifyTree(tree.tree, tree.repository, tree.head, {
      signal: context.cancellationSignal,
      heartbeat: (details) => context.heartbeat(details),
      setupCacheDir,
    });
    const changes = await trees.workspaces.changes(tree.tree, tree.base, tree.repository.testPaths);
    const result = verificationResult(tree.repository, tree.branch, verification, changes);
    log.info({ success: verification.testResults.success }, String(result.output.summary));
    await storeCompletion(prisma, taskId, result);
    return { taskId, status: TaskStatus.COMPLETED, agent: ORCHESTRATOR_AGENT };
  };
}
