/**
 * Generates a phase run's tasks from the active task templates (seed 001/002, Stream F:
 * `generate_phase_tasks`, `generate_task_from_template`), and plans the validation agent's review.
 */
import { Prisma, type PrismaClient, type Task } from '@prisma/client';
import { VALIDATION_CAPABILITY } from '../src/agents/config';
import { contextForPhase, type TicketContext } from '../src/domain/context-summary';
import type { Phase } from '../src/domain/phases';
import { TaskStatus, type PlannedTask } from '../src/domain/task';
import { renderDescription } from '../src/domain/task-templates';
import type { Priority } from '../src/domain/ticket';
import { createCollectArtifacts } from './collect-artifacts';
import { loadTicket, runWhere, VALIDATION_TASK_TYPE, type PhaseRunRef } from './phase-run';

/** Values for description placeholders: every key of the earlier phases' context (later phases win). */
function placeholderValues(context: TicketContext, phase: Phase): Record<string, unknown> {
  return Object.assign({}, ...Object.values(contextForPhase(context, phase)).filter((value) => typeof value === 'object'));
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
 * Builds the `generateTasks` activity: creates one task per active template of the run's phase,
 * with its description rendered from the ticket and the earlier phases' context and its
 * dependencies resolved from the template's task types. Tasks of the run that are not completed
 * or running are brought up to date with their template, so a resumed run picks up a fixed
 * template (capabilities, priority, description, dependencies).
 *
 * Idempotent: tasks are unique per (ticket, phase, entry, task type), so a retry or a second call
 * for the same run creates nothing and returns the same tasks (with their current statuses).
 *
 * @returns the run's tasks, planned (agent assignment per task), in creation order
 * @throws ApplicationFailure TicketNotFound, NoAgentForCapabilities (both non-retryable)
 */
export function createGenerateTasks(prisma: PrismaClient) {
  return async function generateTasks(run: PhaseRunRef): Promise<PlannedTask[]> {
    const ticket = await loadTicket(prisma, run.ticketId);
    const templates = await prisma.taskTemplate.findMany({ where: { phaseId: run.phase, isActive: true }, orderBy: { createdAt: 'asc' } });
    const values = { ...placeholderValues((ticket.context ?? {}) as TicketContext, run.phase), ticket_id: ticket.id };
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
        rows.map((row) => {
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
  };
}

/**
 * Builds the `planValidationTask` activity: the run's `validate_phase` task for the validation
 * agent (capability `validation`), reset to pending so the agent reviews the current artifacts.
 * Idempotent: one such task per run (unique key), re-planning resets it. With `collectArtifacts`
 * it first collects the run's artifacts as the `collectArtifacts` activity does, so the gate round
 * needs one activity less (issue 8 §2).
 *
 * @throws ApplicationFailure TicketNotFound, NoAgentForCapabilities (both non-retryable)
 */
export function createPlanValidationTask(prisma: PrismaClient) {
  const collectArtifacts = createCollectArtifacts(prisma);
  return async function planValidationTask(run: PhaseRunRef & { collectArtifacts?: boolean }): Promise<PlannedTask> {
    if (run.collectArtifacts) await collectArtifacts(run);
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
  };
}
