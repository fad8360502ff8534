/**
 * The task rows of phase runs (seed 001/002, Stream F: `generate_phase_tasks`,
 * `generate_task_from_template`; seed 004 milestones 1.2 and 1.4): generating a run's tasks from
 * the active templates, planning the validation agent's review, and recording how executions
 * start, complete and end. Every write is idempotent (keyed rows, conditional updates).
 */
import { Prisma, type PrismaClient, type Task } from '@prisma/client';
import { VALIDATION_CAPABILITY } from './gate-policy';
import { contextForPhase, type TicketContext } from './context-summary';
import type { Phase } from '../ticket/phases';
import { TaskStatus, type PlannedTask } from './tasks';
import { renderDescription } from './templates';
import type { Priority } from '../ticket/ticket';
import type { StoredTaskResult } from '../agents/protocol';
import { TASK_NOT_FOUND, VALIDATION_TASK_TYPE, type PhaseRunRef, type TaskOutcome } from './contracts';
import { RowNotFoundError } from './errors';
import { releaseResources } from './resource-locks';
import { loadTicket, runArtifacts, runWhere } from './run-store';
import { ORCHESTRATOR_TASKS } from '../repositories/contracts';

/** A task as the API shows it: every column but the Temporal task token, which never leaves the server. */
export type TaskView = Omit<Task, 'taskToken'>;

/** The API's view of a task row. */
export function taskView({ taskToken: _token, ...task }: Task): TaskView {
  return task;
}

/** Values for description placeholders: every key of the earlier phases' context (later phases win). */
function placeholderValues(context: TicketContext, phase: Phase): Record<string, unknown> {
  return Object.assign({}, ...Object.values(contextForPhase(context, phase)).filter((value) => typeof value === 'object')) as Record<string, unknown>;
}

/** The workflow's view of a task row (where it runs is decided per attempt by `routeTask`). */
function planTask(task: Task): PlannedTask {
  return {
    id: task.id,
    taskType: task.taskType,
    priority: task.priority as Priority,
    status: task.status as TaskStatus,
    dependencies: task.dependencies,
    resources: task.resources,
  };
}

/**
 * Creates one task per active template of the run's phase (the orchestrator's own task types,
 * {@link ORCHESTRATOR_TASKS}, only for a ticket with a repository), with its description and
 * resources rendered from the ticket (`{ticket_id}`, `{repository}`) and the earlier phases' context and its dependencies resolved from the template's task
 * types. Tasks of the run that are not completed or running are brought up to date with their
 * template, so a resumed run picks up a fixed template (capabilities, priority, description,
 * dependencies).
 *
 * Idempotent: tasks are unique per (ticket, phase, entry, task type), so a second call for the
 * same run creates nothing and returns the same tasks (with their current statuses).
 *
 * @returns the run's tasks, planned, in creation order
 * @throws RowNotFoundError TicketNotFound
 */
export async function generateTasks(prisma: PrismaClient, run: PhaseRunRef): Promise<PlannedTask[]> {
  const ticket = await loadTicket(prisma, run.ticketId);
  // The orchestrator's own tasks (verify, integrate: issue 9) only for a ticket worked in a repository.
  const templates = (await prisma.taskTemplate.findMany({ where: { phaseId: run.phase, isActive: true }, orderBy: { createdAt: 'asc' } })).filter(
    (template) => ticket.repositoryName !== null || !Object.hasOwn(ORCHESTRATOR_TASKS, template.taskType),
  );
  const values = {
    ...placeholderValues((ticket.context ?? {}) as TicketContext, run.phase),
    ticket_id: ticket.id,
    ...(ticket.repositoryName !== null && { repository: ticket.repositoryName }),
  };
  const resources = (template: { resources: string[] }) => template.resources.map((resource) => renderDescription(resource, ticket, values));
  const tasks = await prisma.$transaction(async (tx) => {
    await tx.task.createMany({
      data: templates.map((template) => ({
        ...runWhere(run),
        taskType: template.taskType,
        description: renderDescription(template.templateDescription, ticket, values),
        priority: template.defaultPriority,
        requiredCapabilities: template.requiredCapabilities,
        resources: resources(template),
        timeoutSeconds: template.timeoutSeconds,
      })),
      skipDuplicates: true,
    });
    const rows = await tx.task.findMany({
      where: { ...runWhere(run), taskType: { not: VALIDATION_TASK_TYPE } },
      orderBy: [{ createdAt: 'asc' }, { taskType: 'asc' }],
    });
    const idOf = new Map(rows.map((row) => [row.taskType, row.id]));
    return Promise.all(
      rows.map(async (row) => {
        const template = templates.find((candidate) => candidate.taskType === row.taskType);
        if (!template || row.status === TaskStatus.COMPLETED || row.status === TaskStatus.RUNNING) return row;
        // A task not yet done follows its template as it is now (a resumed run picks up fixes),
        // keeping dependencies added through the API.
        const fromTemplate = template.dependenciesTemplate.map((type) => idOf.get(type)).filter((id): id is string => id !== undefined);
        const dependencies = [...new Set([...row.dependencies, ...fromTemplate])];
        return tx.task.update({
          where: { id: row.id },
          data: {
            dependencies,
            requiredCapabilities: template.requiredCapabilities,
            resources: resources(template),
            timeoutSeconds: template.timeoutSeconds,
            priority: template.defaultPriority,
            description: renderDescription(template.templateDescription, ticket, values),
          },
        });
      }),
    );
  });
  return tasks.map(planTask);
}

/**
 * The run's `validate_phase` task for the validation agent (capability `validation`), reset to
 * pending so the agent reviews the current artifacts. Idempotent: one such task per run (unique
 * key), re-planning resets it.
 *
 * @throws RowNotFoundError TicketNotFound
 */
export async function planValidationTask(prisma: PrismaClient, run: PhaseRunRef): Promise<PlannedTask> {
  const ticket = await loadTicket(prisma, run.ticketId);
  const task = await prisma.task.upsert({
    where: { ticketId_phaseId_phaseEntry_taskType: { ...runWhere(run), taskType: VALIDATION_TASK_TYPE } },
    create: {
      ...runWhere(run),
      taskType: VALIDATION_TASK_TYPE,
      description: `Validate the completion of ${run.phase} for: ${ticket.title}`,
      priority: 'HIGH',
      requiredCapabilities: [VALIDATION_CAPABILITY],
    },
    update: { status: TaskStatus.PENDING, result: Prisma.DbNull, error: null, startedAt: null, completedAt: null },
  });
  return planTask(task);
}

/**
 * Marks a task completed with `result` unless it already is, or unless `where` (extra conditions)
 * does not hold, and releases its resources. Shared by the command path and the http callback
 * (POST /tasks/:id/complete), which passes `viaCallback` to record when the callback was accepted.
 *
 * @returns whether this call completed it
 */
export async function storeCompletion(
  prisma: PrismaClient,
  taskId: string,
  result: StoredTaskResult,
  { where = {}, viaCallback = false }: { where?: Prisma.TaskWhereInput; viaCallback?: boolean } = {},
): Promise<boolean> {
  const now = new Date();
  const { count } = await prisma.task.updateMany({
    where: { id: taskId, status: { not: TaskStatus.COMPLETED }, ...where },
    data: {
      status: TaskStatus.COMPLETED,
      result: result as Prisma.InputJsonValue,
      error: null,
      completedAt: now,
      taskToken: null,
      ...(viaCallback && { callbackAt: now }),
    },
  });
  if (count === 1) await releaseResources(prisma, taskId);
  return count === 1;
}

/**
 * Records how a task ended when its executions stopped for good: `failed` or `cancelled` with
 * the error. Idempotent (a plain update), and it never overwrites a completion that raced ahead
 * of it (a late http callback). Releases the task's resources.
 */
export async function recordTaskOutcome(prisma: PrismaClient, { taskId, status, error }: TaskOutcome): Promise<void> {
  await prisma.task.updateMany({
    where: { id: taskId, status: { not: TaskStatus.COMPLETED } },
    data: { status, error, taskToken: null },
  });
  await releaseResources(prisma, taskId);
}

/** A task about to execute, with its ticket. @throws RowNotFoundError TaskNotFound */
export async function loadTaskWithTicket(prisma: PrismaClient, taskId: string) {
  const task = await prisma.task.findUnique({ where: { id: taskId }, include: { ticket: true } });
  if (!task) throw new RowNotFoundError(TASK_NOT_FOUND, `task ${taskId} does not exist`);
  return task;
}

/**
 * Marks an execution started: `running`, one more attempt, the agent that runs it, and the
 * Temporal task token of an http execution (kept until its callback).
 *
 * @returns the execution's attempt number (1-based)
 */
export async function startExecution(prisma: PrismaClient, task: Task, agent: string, taskToken: Uint8Array | null): Promise<number> {
  const { attempts } = await prisma.task.update({
    where: { id: task.id },
    data: {
      status: TaskStatus.RUNNING,
      // Every execution counts, across retries and resumed runs.
      attempts: { increment: 1 },
      assignedAgent: agent,
      startedAt: task.startedAt ?? new Date(),
      taskToken: taskToken ? Buffer.from(taskToken) : null,
      callbackAt: null,
    },
  });
  return attempts;
}

/**
 * What an execution reads besides its task: the completed tasks it depends on, and for a
 * validation the run's artifacts. Reads nothing it does not need (issue 8 §3: no query for a
 * task without dependencies), the two reads at once.
 */
export async function executionInputs(prisma: PrismaClient, task: Task) {
  const [dependencies, artifacts] = await Promise.all([
    task.dependencies.length ? prisma.task.findMany({ where: { id: { in: task.dependencies }, status: TaskStatus.COMPLETED } }) : [],
    task.taskType === VALIDATION_TASK_TYPE ? runArtifacts(prisma, { ticketId: task.ticketId, phase: task.phaseId as Phase, entry: task.phaseEntry }) : [],
  ]);
  return { dependencies, artifacts };
}

/** Records a failed execution: back to `pending` when it will be retried, else `failed`, with the error. */
export async function recordExecutionFailure(prisma: PrismaClient, taskId: string, retryable: boolean, error: string): Promise<void> {
  await prisma.task.update({ where: { id: taskId }, data: { status: retryable ? TaskStatus.PENDING : TaskStatus.FAILED, error } });
}
