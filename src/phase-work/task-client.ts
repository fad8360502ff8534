/**
 * Tasks behind the REST API (seed 001/002 Stream F; seed 004 milestones 1.1, 1.4): reading a task,
 * http agents' callbacks, cancelling a task and its dependencies. It reads and writes through the
 * task rows, and tells the ticket workflow through its messages; it knows nothing of HTTP.
 */
import type { Prisma, PrismaClient, Task } from '@prisma/client';
import { ApplicationFailure, type Client } from '@temporalio/client';
import { AgentFailureType } from '../agents/agent-failure';
import type { TaskExecution } from '../agents/contracts';
import { recordExecution, reportedUsage, taskExecutions, taskUsage, type ExecutionView, type UsageTotals } from '../agents/executions';
import type { AgentArtifact, AgentUsage, StoredTaskResult } from '../agents/protocol';
import { isUuid } from '../platform/ids';
import type { TicketClient } from '../ticket/client';
import { cancelTaskSignal, tasksChangedSignal } from '../../workflows/ticket/messages';
import { dependencyCycle } from './dependencies';
import { PhaseWorkError } from './errors';
import { storeCompletion, taskView, type TaskView } from './task-store';
import { TaskStatus } from './tasks';

/** A task's dependencies as the API shows them. */
export interface TaskDependencies {
  task: TaskView;
  /** The tasks it waits for. */
  dependsOn: TaskView[];
  /** Those of them not completed yet. */
  blockedBy: TaskView[];
  /** The tasks that wait for it. */
  blocks: TaskView[];
}

/** A task as `GET /tasks/:id` shows it: the row, its executions' sums and the executions (issue 10). */
export interface TaskDetail extends TaskView {
  usage: UsageTotals;
  executions: ExecutionView[];
}

/** Task operations. */
export class TaskClient {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly temporal: Client,
    private readonly tickets: TicketClient,
  ) {}

  /** One task. @throws PhaseWorkError TASK_NOT_FOUND */
  async task(taskId: string): Promise<TaskView> {
    return taskView(await this.taskRow(taskId));
  }

  /** One task with its usage and executions, oldest first. @throws PhaseWorkError TASK_NOT_FOUND */
  async detail(taskId: string): Promise<TaskDetail> {
    const task = await this.taskRow(taskId);
    const [usage, executions] = await Promise.all([taskUsage(this.prisma, taskId), taskExecutions(this.prisma, taskId)]);
    return { ...taskView(task), usage, executions };
  }

  private async taskRow(taskId: string): Promise<Task> {
    const task = isUuid(taskId) ? await this.prisma.task.findUnique({ where: { id: taskId } }) : null;
    if (!task) throw new PhaseWorkError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
    return task;
  }

  /**
   * Claims an http agent's callback for `attempt` (default: the running one) exactly once.
   * @returns the task token to complete, and the task
   */
  private async claimCallback(taskId: string, attempt: number | undefined, data: Prisma.TaskUpdateManyMutationInput, result?: StoredTaskResult) {
    const task = await this.taskRow(taskId);
    const notAwaiting = (why: string) =>
      new PhaseWorkError('TASK_NOT_AWAITING_CALLBACK', `task ${taskId} is not waiting for a callback${attempt ? ` of attempt ${attempt}` : ''}: ${why}`, {
        taskId,
        status: task.status,
        attempts: task.attempts,
      });
    if (!task.taskToken) throw notAwaiting(task.callbackAt ? 'its callback was already received' : `it is ${task.status} and not handed to an http agent`);
    if (attempt !== undefined && attempt !== task.attempts) throw notAwaiting(`attempt ${task.attempts} is the current one`);
    const where: Prisma.TaskWhereInput = { status: TaskStatus.RUNNING, taskToken: { not: null }, callbackAt: null, attempts: task.attempts };
    const claimed = result
      ? await storeCompletion(this.prisma, taskId, result, { where, viaCallback: true })
      : (await this.prisma.task.updateMany({ where: { id: taskId, ...where }, data: { ...data, callbackAt: new Date(), taskToken: null } })).count === 1;
    if (!claimed) throw notAwaiting('its callback was already received');
    return { token: new Uint8Array(task.taskToken), task };
  }

  /**
   * Records the execution a claimed callback ended (issue 10): the attempt that was running, on
   * the task's http agent, with the usage the agent reported (none: zeros, no cost). Its start is
   * the task row's last write before the callback (the attempt's start). Idempotent per attempt.
   */
  private async recordCallbackExecution(task: Task, outcome: { status: 'completed' | 'failed'; error?: string; usage?: AgentUsage }): Promise<void> {
    await recordExecution(this.prisma, {
      taskId: task.id,
      attempt: task.attempts,
      backend: task.assignedAgent ?? 'unknown',
      backendType: 'http',
      model: null,
      status: outcome.status,
      error: outcome.error ?? null,
      usage: reportedUsage(outcome.usage),
      startedAt: task.updatedAt,
      finishedAt: new Date(),
    });
  }

  /**
   * An http agent reports success (POST /tasks/:id/complete), with what the execution used if it
   * says (recorded as the attempt's execution). The first callback for the running attempt
   * completes the activity; any later or repeated one is refused and records nothing.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_AWAITING_CALLBACK
   */
  async completeTask(
    taskId: string,
    attempt: number | undefined,
    result: { output: Record<string, unknown>; artifacts: AgentArtifact[] },
    usage?: AgentUsage,
  ): Promise<TaskView> {
    const { token, task } = await this.claimCallback(taskId, attempt, {}, result);
    await this.recordCallbackExecution(task, { status: 'completed', usage });
    const execution: TaskExecution = { taskId, status: TaskStatus.COMPLETED, agent: task.assignedAgent ?? 'unknown' };
    // If the activity timed out meanwhile, its retry finds the task completed and returns at once.
    await this.temporal.activity.complete(token, execution).catch(() => undefined);
    return this.task(taskId);
  }

  /**
   * An http agent reports failure (POST /tasks/:id/fail), with what the execution used if it says
   * (recorded as the attempt's execution): the activity fails with `AgentTaskFailed`, retried
   * unless `retryable` is false.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_AWAITING_CALLBACK
   */
  async failTask(taskId: string, attempt: number | undefined, error: string, retryable: boolean, usage?: AgentUsage): Promise<TaskView> {
    const status = retryable ? TaskStatus.PENDING : TaskStatus.FAILED;
    const { token, task } = await this.claimCallback(taskId, attempt, { status, error: `${AgentFailureType.TASK_FAILED}: ${error}` });
    await this.recordCallbackExecution(task, { status: 'failed', error, usage });
    const failure = ApplicationFailure.create({ type: AgentFailureType.TASK_FAILED, message: error, nonRetryable: !retryable });
    await this.temporal.activity.fail(token, failure).catch(() => undefined);
    return this.task(taskId);
  }

  /**
   * Cancels a pending or running task (signal `cancelTask`): its agent is stopped, and the phase
   * run fails with the reason, blocking the ticket until a transition resumes it.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_CANCELLABLE
   */
  async cancelTask(taskId: string, reason: string): Promise<TaskView> {
    const task = await this.taskRow(taskId);
    if (task.status !== TaskStatus.PENDING && task.status !== TaskStatus.RUNNING) {
      throw new PhaseWorkError('TASK_NOT_CANCELLABLE', `task ${taskId} is ${task.status}; only a pending or running task can be cancelled`, {
        taskId,
        status: task.status,
      });
    }
    const ticket = await this.tickets.get(task.ticketId);
    await this.temporal.workflow.getHandle(ticket.workflowId).signal(cancelTaskSignal, { taskId, reason });
    return taskView(task);
  }

  /**
   * A task's dependencies: what it depends on, which of those are not completed yet (blocked by),
   * and the tasks that depend on it (blocks). @throws PhaseWorkError TASK_NOT_FOUND
   */
  async dependencies(taskId: string): Promise<TaskDependencies> {
    const task = await this.taskRow(taskId);
    const run = await this.prisma.task.findMany({ where: { ticketId: task.ticketId, phaseId: task.phaseId, phaseEntry: task.phaseEntry } });
    const dependsOn = run.filter((other) => task.dependencies.includes(other.id)).map(taskView);
    return {
      task: taskView(task),
      dependsOn,
      blockedBy: dependsOn.filter((other) => other.status !== TaskStatus.COMPLETED),
      blocks: run.filter((other) => other.dependencies.includes(task.id)).map(taskView),
    };
  }

  /**
   * Adds dependencies to a task that has not started: tasks of the same phase run it must wait
   * for. The workflow re-plans before starting its next task.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_PENDING, INVALID_DEPENDENCY, DEPENDENCY_CYCLE (with the cycle's path)
   */
  async addDependencies(taskId: string, dependsOn: string[]): Promise<TaskDependencies> {
    const task = await this.taskRow(taskId);
    if (task.status === TaskStatus.RUNNING || task.status === TaskStatus.COMPLETED) {
      throw new PhaseWorkError('TASK_NOT_PENDING', `task ${taskId} is ${task.status}; dependencies can be added only before it starts`, {
        taskId,
        status: task.status,
      });
    }
    const run = await this.prisma.task.findMany({ where: { ticketId: task.ticketId, phaseId: task.phaseId, phaseEntry: task.phaseEntry } });
    const unknown = dependsOn.filter((id) => !run.some((other) => other.id === id));
    if (unknown.length) {
      throw new PhaseWorkError('INVALID_DEPENDENCY', `not tasks of the same phase run as task ${taskId}: ${unknown.join(', ')}`, { taskId, unknown });
    }
    const dependencies = [...new Set([...task.dependencies, ...dependsOn])];
    const graph = Object.fromEntries(run.map((other) => [other.id, other.id === taskId ? dependencies : other.dependencies]));
    const cycle = dependencyCycle(graph);
    if (cycle) {
      const name = (id: string) => `${run.find((other) => other.id === id)?.taskType ?? id} (${id})`;
      throw new PhaseWorkError('DEPENDENCY_CYCLE', `the dependencies would form a cycle: ${cycle.map(name).join(' → ')}`, { cycle });
    }
    await this.prisma.task.update({ where: { id: taskId }, data: { dependencies } });
    const ticket = await this.tickets.get(task.ticketId);
    await this.temporal.workflow
      .getHandle(ticket.workflowId)
      .signal(tasksChangedSignal)
      .catch(() => undefined); // a closed workflow has nothing left to schedule
    return this.dependencies(taskId);
  }
}
