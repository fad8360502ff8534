/**
 * The `integrate` activity (issue 9, "Deployment integrates"): the `integrate_branch` task of
 * DEPLOYMENT, holding the repository's resource lock (`repo:<name>`, a lease renewed with the
 * heartbeats). It merges the ticket branch into the default branch (a merge commit, or a rebase
 * then fast-forward, per the repository), runs the repository's checks on the merged tree, and
 * only then moves and pushes the default branch; mode `branch-only` records the branch and its head
 * for a pull request. The ticket row records the head and merge commits; its working tree on this
 * machine is removed (and its branch, unless the repository keeps branches).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TaskExecution, TaskRef } from '../../src/agents/contracts';
import { acquireResources, releaseResources, renewResources } from '../../src/phase-work/resource-locks';
import { TaskStatus } from '../../src/phase-work/tasks';
import { loadTaskWithTicket, recordExecutionFailure, startExecution, storeCompletion } from '../../src/phase-work/task-store';
import { verificationSummary } from '../../src/repositories/artifacts';
import { ORCHESTRATOR_AGENT } from '../../src/repositories/contracts';
import { verifyTree } from '../../src/repositories/verification';
import { gitLine } from '../../src/repositories/git';
import { WorkspaceError } from '../../src/repositories/workspaces';
import { asActivity } from '../failures';
import { whileHeartbeating } from '../heartbeat';
import { HEARTBEAT_INTERVAL_MS, NO_REPOSITORY, type RepositoryActivityDependencies } from './verify-workspace';

/** How long the repository lock lasts without a renewal, ms (renewed with every heartbeat). */
const LEASE_MS = 60_000;

/**
 * Builds the `integrate` activity. Idempotent: a completed task returns at once, and a branch
 * already in the default branch (a retry after the push) is recorded without a second merge.
 *
 * @returns {@link TaskExecution} once integrated (or recorded, in `branch-only` mode)
 * @throws ApplicationFailure ResourceBusy (retryable, not counted as an execution), MergeConflict
 *   and IntegrationFailed (non-retryable, naming the conflicting files or the failing tests),
 *   TaskNotFound, NoRepository (non-retryable); git errors (retryable)
 */
export function createIntegrate({ prisma, trees, setupCacheDir, logger }: RepositoryActivityDependencies) {
  return async function integrate({ taskId }: TaskRef): Promise<TaskExecution> {
    const context = Context.current();
    const task = await asActivity(() => loadTaskWithTicket(prisma, taskId));
    if (task.status === TaskStatus.COMPLETED) return { taskId, status: TaskStatus.COMPLETED, agent: ORCHESTRATOR_AGENT };
    const lease = () => new Date(Date.now() + LEASE_MS);
    await asActivity(() => acquireResources(prisma, taskId, task.resources, lease()));
    try {
      const [attempt, tree] = await Promise.all([
        startExecution(prisma, task, ORCHESTRATOR_AGENT, null),
        whileHeartbeating(HEARTBEAT_INTERVAL_MS, { step: 'preparing the tree' }, () => trees.prepare(task.ticketId)),
      ]);
      if (!tree) throw ApplicationFailure.nonRetryable(`ticket ${task.ticketId} has no repository to integrate`, NO_REPOSITORY);
      const log = logger.child({ taskId, attempt, repository: tree.repository.name, branch: tree.branch });
      const heartbeat = (details: unknown) => {
        context.heartbeat(details);
        renewResources(prisma, taskId, lease()).catch((error: unknown) => log.warn({ err: error }, 'lease renewal failed'));
      };
      const integration = await whileHeartbeating(HEARTBEAT_INTERVAL_MS, { step: 'integrating' }, () =>
        trees.workspaces.integrate(tree.repository, tree.branch, {
          signal: context.cancellationSignal,
          verify: async (merged, commit) => {
            const verification = await verifyTree(merged, tree.repository, commit, { signal: context.cancellationSignal, heartbeat, setupCacheDir });
            return verification.testResults.success ? [] : [verificationSummary(verification)];
          },
        }),
      );
      // The commits the ticket's work made on its branch (before a rebase moved them).
      const commits = Number(await gitLine(tree.tree, ['rev-list', '--count', `${tree.base}..${tree.head}`]));
      await prisma.ticket.update({ where: { id: task.ticketId }, data: { headCommit: integration.head, mergeCommit: integration.mergeCommit } });
      // The tree is done with; a branch left for a pull request (`branch-only`) stays whatever the repository says.
      await trees.remove(task.ticketId, { keepBranch: integration.mergeCommit === null });
      const merged = integration.mergeCommit
        ? `merged into ${tree.repository.defaultBranch} as ${integration.mergeCommit.slice(0, 12)}`
        : 'left for a pull request';
      const summary = `${tree.branch} at ${integration.head.slice(0, 12)} ${merged}`;
      log.info({ integration }, summary);
      await storeCompletion(prisma, taskId, {
        output: { summary, integration, commits, context: { deployment: summary } },
        artifacts: [{ type: 'integration', path: tree.branch, content: { branch: tree.branch, ...integration } }],
      });
      return { taskId, status: TaskStatus.COMPLETED, agent: ORCHESTRATOR_AGENT };
    } catch (error) {
      await releaseResources(prisma, taskId);
      // A conflict or a red merged tree fails for good (the default branch is untouched); the rest is retried.
      if (!(error instanceof WorkspaceError) || error.retryable) throw error;
      await recordExecutionFailure(prisma, taskId, false, `${error.failureType}: ${error.message}`);
      throw ApplicationFailure.nonRetryable(error.message, error.failureType);
    }
  };
}
