/**
 * The application service for phase work, behind the REST API: tasks and their agent callbacks,
 * task templates, gates and artifacts, and context (seed 001/002, Streams F, G and H). It calls
 * the same functions the workflow's activities are (so the API and the workflow cannot disagree)
 * and tells the workflow about artifacts supplied from outside. It knows nothing of HTTP.
 */
import type { Prisma, PrismaClient, Task } from '@prisma/client';
import { ApplicationFailure, type Client } from '@temporalio/client';
import { createCollectArtifacts, storeArtifact, type ArtifactInput } from '../../activities/phase-work/collect-artifacts';
import { storeCompletion, type StoredTaskResult } from '../../activities/agents/execute-task';
import { createGenerateTasks } from '../../activities/phase-work/generate-tasks';
import { runWhere, type PhaseRunRef } from './run-store';
import { createUpdateContext } from '../../activities/phase-work/update-context';
import { createValidateGate, type GateVerdict } from '../../activities/phase-work/validate-gate';
import { AgentFailureType } from '../agents/agent-failure';
import type { OrchestratorConfig } from '../agents/config';
import type { AgentArtifact } from '../agents/protocol';
import { DEFAULT_SUMMARY_TOKENS, contextForPhase, summarizeContext, type TicketContext } from './context-summary';
import { dependencyCycle } from './dependencies';
import { isUuid } from '../platform/ids';
import { Phase, nextInSequence } from '../ticket/phases';
import { TaskStatus } from './tasks';
import type { Priority } from '../ticket/ticket';
import { artifactsChangedSignal, cancelTaskSignal, tasksChangedSignal } from '../../workflows/ticket/messages';
import type { TicketClient } from '../ticket/client';

/** Error codes of phase work, each with its meaning; the API maps them to HTTP statuses. */
export type PhaseWorkErrorCode =
  /** 404: no task with that ID. */
  | 'TASK_NOT_FOUND'
  /** 409: the task already finished (completed, failed or cancelled). */
  | 'TASK_NOT_CANCELLABLE'
  /** 404: no task template with that ID. */
  | 'TEMPLATE_NOT_FOUND'
  /** 409: a template for that phase and task type exists. */
  | 'TEMPLATE_EXISTS'
  /** 409: the task is not waiting for an agent's callback (not an http task, already answered, or a later attempt runs). */
  | 'TASK_NOT_AWAITING_CALLBACK'
  /** 409: the ticket has never entered that phase, so it has no run to work on. */
  | 'PHASE_NOT_ENTERED'
  /** 409: dependencies can be added only to a task that has not started (pending, failed or cancelled). */
  | 'TASK_NOT_PENDING'
  /** 422: a dependency is not a task of the same phase run. */
  | 'INVALID_DEPENDENCY'
  /** 422: the dependencies would form a cycle (`details.cycle` is its path). */
  | 'DEPENDENCY_CYCLE';

/** A refused phase-work request, with a machine-readable code and details. */
export class PhaseWorkError extends Error {
  constructor(
    readonly code: PhaseWorkErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A task as the API shows it: every column but the Temporal task token, which never leaves the server. */
export type TaskView = Omit<Task, 'taskToken'>;

/** The API's view of a task row. */
export function taskView({ taskToken: _token, ...task }: Task): TaskView {
  return task;
}

/** Fields of a new task template (seed 001, table `task_templates`). */
export interface NewTaskTemplate {
  phaseId: Phase;
  taskType: string;
  templateDescription: string;
  defaultPriority?: Priority;
  requiredCapabilities?: string[];
  dependenciesTemplate?: string[];
  /** Resources its tasks need alone (`{ticket_id}` substituted), e.g. `repo:main`. */
  resources?: string[];
  /** Start-to-close limit of one execution, s. */
  timeoutSeconds?: number;
}

/** Phase-work operations on tickets, tasks and templates. */
export class PhaseWorkClient {
  private readonly generate;
  private readonly collect;
  private readonly validate;
  private readonly refreshContext;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly temporal: Client,
    private readonly tickets: TicketClient,
    private readonly config: OrchestratorConfig,
  ) {
    this.generate = createGenerateTasks(prisma);
    this.collect = createCollectArtifacts(prisma);
    this.validate = createValidateGate(prisma, config);
    this.refreshContext = createUpdateContext(prisma);
  }

  /**
   * The run of `phase` (default: the run the workflow is working, or was blocked in): the current
   * run for its phase, else the latest entry of `phase` seen in tasks or history.
   *
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async run(ticketId: string, phase?: Phase): Promise<PhaseRunRef> {
    const state = await this.tickets.state(ticketId);
    if (!phase || phase === state.run.phase) return { ticketId, phase: state.run.phase, entry: state.run.entry };
    const task = await this.prisma.task.findFirst({ where: { ticketId, phaseId: phase }, orderBy: { phaseEntry: 'desc' } });
    if (task) return { ticketId, phase, entry: task.phaseEntry };
    const entered = await this.prisma.phaseHistory.findFirst({ where: { ticketId, toPhase: phase }, orderBy: { sequence: 'desc' } });
    if (entered) return { ticketId, phase, entry: entered.sequence };
    throw new PhaseWorkError('PHASE_NOT_ENTERED', `ticket ${ticketId} has never entered ${phase}`, { ticketId, phaseId: phase });
  }

  /**
   * Generates the tasks of a phase run from the active templates (idempotent: existing tasks are
   * returned as they are). @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async generateTasks(ticketId: string, phase?: Phase): Promise<TaskView[]> {
    const run = await this.run(ticketId, phase);
    await this.generate(run);
    return this.runTasks(run);
  }

  /** A ticket's tasks, of one phase (its latest run) or all, oldest first. @throws TicketNotFoundError */
  async tasks(ticketId: string, phase?: Phase): Promise<TaskView[]> {
    await this.tickets.get(ticketId);
    if (!phase) {
      const rows = await this.prisma.task.findMany({ where: { ticketId }, orderBy: [{ phaseEntry: 'asc' }, { createdAt: 'asc' }, { taskType: 'asc' }] });
      return rows.map(taskView);
    }
    const latest = await this.prisma.task.findFirst({ where: { ticketId, phaseId: phase }, orderBy: { phaseEntry: 'desc' } });
    return latest ? this.runTasks({ ticketId, phase, entry: latest.phaseEntry }) : [];
  }

  private async runTasks(run: PhaseRunRef): Promise<TaskView[]> {
    const rows = await this.prisma.task.findMany({ where: runWhere(run), orderBy: [{ createdAt: 'asc' }, { taskType: 'asc' }] });
    return rows.map(taskView);
  }

  /** One task. @throws PhaseWorkError TASK_NOT_FOUND */
  async task(taskId: string): Promise<TaskView> {
    return taskView(await this.taskRow(taskId));
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
   * An http agent reports success (POST /tasks/:id/complete). The first callback for the running
   * attempt completes the activity; any later or repeated one is refused.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_AWAITING_CALLBACK
   */
  async completeTask(taskId: string, attempt: number | undefined, result: { output: Record<string, unknown>; artifacts: AgentArtifact[] }): Promise<TaskView> {
    const { token, task } = await this.claimCallback(taskId, attempt, {}, result);
    // If the activity timed out meanwhile, its retry finds the task completed and returns at once.
    await this.temporal.activity.complete(token, { taskId, status: TaskStatus.COMPLETED, agent: task.assignedAgent }).catch(() => undefined);
    return this.task(taskId);
  }

  /**
   * An http agent reports failure (POST /tasks/:id/fail): the activity fails with
   * `AgentTaskFailed`, retried unless `retryable` is false.
   *
   * @throws PhaseWorkError TASK_NOT_FOUND, TASK_NOT_AWAITING_CALLBACK
   */
  async failTask(taskId: string, attempt: number | undefined, error: string, retryable: boolean): Promise<TaskView> {
    const status = retryable ? TaskStatus.PENDING : TaskStatus.FAILED;
    const { token } = await this.claimCallback(taskId, attempt, { status, error: `${AgentFailureType.TASK_FAILED}: ${error}` });
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
      throw new PhaseWorkError('TASK_NOT_CANCELLABLE', `task ${taskId} is ${task.status}; only a pending or running task can be cancelled`, { taskId, status: task.status });
    }
    const ticket = await this.tickets.get(task.ticketId);
    await this.temporal.workflow.getHandle(ticket.workflowId).signal(cancelTaskSignal, { taskId, reason });
    return taskView(task);
  }

  /**
   * A task's dependencies: what it depends on, which of those are not completed yet (blocked by),
   * and the tasks that depend on it (blocks). @throws PhaseWorkError TASK_NOT_FOUND
   */
  async dependencies(taskId: string) {
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
  async addDependencies(taskId: string, dependsOn: string[]) {
    const task = await this.taskRow(taskId);
    if (task.status === TaskStatus.RUNNING || task.status === TaskStatus.COMPLETED) {
      throw new PhaseWorkError('TASK_NOT_PENDING', `task ${taskId} is ${task.status}; dependencies can be added only before it starts`, { taskId, status: task.status });
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

  /** Refuses template dependencies that would form a cycle among the phase's active templates. */
  private async checkTemplateCycle(phase: Phase, taskType: string, dependenciesTemplate: string[] | undefined): Promise<void> {
    if (!dependenciesTemplate?.length) return;
    const templates = await this.prisma.taskTemplate.findMany({ where: { phaseId: phase, isActive: true } });
    const graph: Record<string, string[]> = Object.fromEntries(templates.map((template) => [template.taskType, template.dependenciesTemplate]));
    graph[taskType] = dependenciesTemplate;
    const cycle = dependencyCycle(graph);
    if (cycle) throw new PhaseWorkError('DEPENDENCY_CYCLE', `the template dependencies would form a cycle: ${cycle.join(' → ')}`, { cycle });
  }

  /** Task templates of a phase (or all), active ones unless `includeInactive`. */
  templates(phase: Phase | undefined, includeInactive: boolean) {
    return this.prisma.taskTemplate.findMany({
      where: { phaseId: phase, ...(includeInactive ? {} : { isActive: true }) },
      orderBy: [{ phaseId: 'asc' }, { createdAt: 'asc' }],
    });
  }

  /** Creates a template. @throws PhaseWorkError TEMPLATE_EXISTS, DEPENDENCY_CYCLE */
  async createTemplate(input: NewTaskTemplate) {
    await this.checkTemplateCycle(input.phaseId, input.taskType, input.dependenciesTemplate);
    try {
      return await this.prisma.taskTemplate.create({ data: input });
    } catch (error) {
      if ((error as { code?: string }).code !== 'P2002') throw error;
      throw new PhaseWorkError('TEMPLATE_EXISTS', `a template for ${input.taskType} in ${input.phaseId} exists`, { phaseId: input.phaseId, taskType: input.taskType });
    }
  }

  /**
   * Updates a template's description, priority, capabilities, dependencies or active flag.
   * @throws PhaseWorkError TEMPLATE_NOT_FOUND, DEPENDENCY_CYCLE
   */
  async updateTemplate(id: string, changes: Partial<Omit<NewTaskTemplate, 'phaseId' | 'taskType' | 'timeoutSeconds'>> & { isActive?: boolean; timeoutSeconds?: number | null }) {
    const template = isUuid(id) ? await this.prisma.taskTemplate.findUnique({ where: { id } }) : null;
    if (!template) throw new PhaseWorkError('TEMPLATE_NOT_FOUND', `task template ${id} not found`, { templateId: id });
    await this.checkTemplateCycle(template.phaseId as Phase, template.taskType, changes.dependenciesTemplate);
    return this.prisma.taskTemplate.update({ where: { id }, data: changes });
  }

  /**
   * Validates a phase run's gate now (validator `api`, its own round numbers) and persists the result.
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async validateGate(ticketId: string, phase?: Phase): Promise<GateVerdict & PhaseRunRef> {
    const run = await this.run(ticketId, phase);
    await this.collect(run);
    const rounds = await this.prisma.phaseGateResult.count({ where: { ...runWhere(run), validatedBy: 'api' } });
    return { ...run, ...(await this.validate({ ...run, attempt: rounds + 1, validatedBy: 'api' })) };
  }

  /** Every gate validation of the ticket, oldest first. @throws TicketNotFoundError */
  async gateResults(ticketId: string) {
    await this.tickets.get(ticketId);
    return this.prisma.phaseGateResult.findMany({ where: { ticketId }, orderBy: [{ validatedAt: 'asc' }] });
  }

  /** The gate of the current run: its live status, requirements, validation results and artifacts. @throws TicketNotFoundError */
  async gateStatus(ticketId: string) {
    const state = await this.tickets.state(ticketId);
    const run: PhaseRunRef = { ticketId, phase: state.run.phase, entry: state.run.entry };
    const [results, artifacts] = await Promise.all([
      this.prisma.phaseGateResult.findMany({ where: runWhere(run), orderBy: [{ validatedAt: 'asc' }] }),
      this.prisma.phaseGateArtifact.findMany({ where: runWhere(run), orderBy: [{ collectedAt: 'asc' }] }),
    ]);
    return {
      phaseId: run.phase,
      entry: run.entry,
      gate: state.run.gate,
      step: state.run.step,
      blocked: state.blocked,
      requirements: this.config.gateRequirements[run.phase] ?? null,
      validationAgent: this.config.validationPhases.includes(run.phase),
      results,
      artifacts,
    };
  }

  /**
   * Stores an artifact a person or tool supplies for a phase run (default: the current one) and
   * tells the workflow, so a ticket blocked by that gate re-validates it.
   *
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async addArtifact(ticketId: string, phase: Phase | undefined, artifact: ArtifactInput) {
    const run = await this.run(ticketId, phase);
    const row = await storeArtifact(this.prisma, run, artifact);
    const ticket = await this.tickets.get(ticketId);
    if (ticket.phaseId !== Phase.DONE) {
      await this.temporal.workflow.getHandle(ticket.workflowId).signal(artifactsChangedSignal, { phase: run.phase, entry: run.entry });
    }
    return row;
  }

  /** The ticket's aggregated context, its summary and the per-run phase context rows. @throws TicketNotFoundError */
  async context(ticketId: string) {
    const ticket = await this.tickets.get(ticketId);
    const phases = await this.prisma.phaseContext.findMany({ where: { ticketId }, orderBy: [{ phaseEntry: 'asc' }] });
    return { context: ticket.context ?? {}, contextSummary: ticket.contextSummary, phases };
  }

  /**
   * The summary of what `phase` may see (default: the phase after the current run's), within
   * `maxTokens` cl100k_base tokens. @throws TicketNotFoundError
   */
  async contextSummary(ticketId: string, phase: Phase | undefined, maxTokens = DEFAULT_SUMMARY_TOKENS) {
    const ticket = await this.tickets.get(ticketId);
    let audience = phase;
    if (!audience) {
      const { run } = await this.tickets.state(ticketId);
      audience = nextInSequence(run.phase) ?? run.phase;
    }
    const { summary, tokens } = summarizeContext(contextForPhase((ticket.context ?? {}) as TicketContext, audience), maxTokens);
    return { phaseId: audience, summary, tokens, maxTokens };
  }

  /** Re-aggregates a phase run's context from its completed tasks. @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED */
  async updateContext(ticketId: string, phase?: Phase) {
    const run = await this.run(ticketId, phase);
    const update = await this.refreshContext(run);
    return { ...update, phaseId: run.phase, entry: run.entry };
  }
}
