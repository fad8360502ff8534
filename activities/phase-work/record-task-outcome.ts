/**
 * Records how a task ended when its executions stopped for good (seed 004, milestones 1.2 and
 * 1.4): `failed` after its last retry or a permanent error, `cancelled` when the ticket left the
 * phase or the task was cancelled. The error message stays queryable on the task.
 */
import type { PrismaClient } from '@prisma/client';
import { TaskStatus } from '../../src/phase-work/tasks';
import { releaseResources } from '../../src/phase-work/resource-locks';

/** Input of the `recordTaskOutcome` activity. */
export interface TaskOutcome {
  taskId: string;
  status: typeof TaskStatus.FAILED | typeof TaskStatus.CANCELLED;
  /** Why, e.g. "AgentProcessFailed: agent process 123 was killed by SIGKILL (attempt 3 of 3)". */
  error: string;
}

/**
 * Builds the `recordTaskOutcome` activity. Idempotent (a plain update), and it never overwrites
 * a completion that raced ahead of it (a late http callback). Releases the task's resources.
 */
export function createRecordTaskOutcome(prisma: PrismaClient) {
  return async function recordTaskOutcome({ taskId, status, error }: TaskOutcome): Promise<void> {
    await prisma.task.updateMany({
      where: { id: taskId, status: { not: TaskStatus.COMPLETED } },
      data: { status, error, taskToken: null },
    });
    await releaseResources(prisma, taskId);
  };
}
