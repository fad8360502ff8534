/**
 * Executes one task through the agent backend its required capabilities select (seed 001/002
 * Stream F; seed 004 milestones 1.2 and 1.4). The `command` backend runs the agent process and
 * heartbeats while it runs; the `http` backend hands the task over and completes asynchronously
 * when the agent calls back through the API. Errors are classified: permanent ones fail the
 * activity as non-retryable, transient ones are retried with the workflow's exponential backoff.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';
import { Prisma, type PrismaClient } from '@prisma/client';
import { AgentFailure, AgentFailureType } from '../../src/agents/agent-failure';
import { runCommandAgent } from '../../src/agents/command-backend';
import { selectBackend, type OrchestratorConfig } from '../../src/agents/config';
import { handOverToHttpAgent } from '../../src/agents/http-backend';
import { AGENT_PROTOCOL, type AgentRequest, type AgentResult } from '../../src/agents/protocol';
import { contextForPhase, summarizeContext, type TicketContext } from '../../src/phase-work/context-summary';
import type { Phase } from '../../src/ticket/phases';
import { TaskStatus } from '../../src/phase-work/tasks';
import type { Priority } from '../../src/ticket/ticket';
import type { Logger } from '../../src/platform/logger';
import { runArtifacts, TASK_NOT_FOUND, VALIDATION_TASK_TYPE } from '../../src/phase-work/run-store';
import { forgetAgent, rememberAgent, stopLeftoverAgent } from '../../src/agents/agent-processes';
import { acquireResources, releaseResources, renewResources } from '../../src/phase-work/resource-locks';

/** What the activity needs besides the database. */
export interface ExecuteTaskDependencies {
  prisma: PrismaClient;
  config: OrchestratorConfig;
  /** Directory holding one workspace directory per ticket. */
  workspacesDir: string;
  /** Base URL of the REST API as agents reach it, e.g. `http://127.0.0.1:3000/api/v1` (http callbacks). */
  publicApiUrl: string;
  logger: Logger;
  /** The registered agent this worker is, recorded as the tasks' `assignedAgent` (default: the backend's name). */
  agentName?: string;
}

/** Result of an execution, as the workflow sees it (the agent's output stays in the database). */
export interface TaskExecution {
  taskId: string;
  status: typeof TaskStatus.COMPLETED;
  /** Backend that ran the task. */
  agent: string;
}

/** The stored result of a completed task: the agent's output and artifacts. */
export type StoredTaskResult = Pick<AgentResult, 'output' | 'artifacts'>;

/**
 * Marks a task completed with `result` unless it already is, or unless `where` (extra conditions)
 * does not hold. Shared by the command path and the http callback (POST /tasks/:id/complete),
 * which passes `viaCallback` to record when the callback was accepted.
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
    data: { status: TaskStatus.COMPLETED, result: result as Prisma.InputJsonValue, error: null, completedAt: now, taskToken: null, ...(viaCallback && { callbackAt: now }) },
  });
  if (count === 1) await releaseResources(prisma, taskId);
  return count === 1;
}

/**
 * Builds the `executeTask` activity.
 *
 * Idempotent: a task already completed (a retry after a crash, or a late http completion) returns
 * at once without running the agent again.
 *
 * @param input.taskId the task row
 * @returns {@link TaskExecution} once the agent completed the task
 * @throws ApplicationFailure of an {@link AgentFailureType} (non-retryable when permanent),
 *   TaskNotFound (non-retryable); CancelledFailure when the workflow cancels it (the process is killed).
 */
export function createExecuteTask({ prisma, config, workspacesDir, publicApiUrl, logger, agentName }: ExecuteTaskDependencies) {
  return async function executeTask({ taskId }: { taskId: string }): Promise<TaskExecution> {
    const context = Context.current();
    const task = await prisma.task.findUnique({ where: { id: taskId }, include: { ticket: true } });
    if (!task) throw ApplicationFailure.nonRetryable(`task ${taskId} does not exist`, TASK_NOT_FOUND);
    if (task.status === TaskStatus.COMPLETED) return { taskId, status: TaskStatus.COMPLETED, agent: task.assignedAgent ?? 'unknown' };
    const backend = selectBackend(config, task.requiredCapabilities);
    if (!backend) throw ApplicationFailure.nonRetryable(`no agent backend for task ${task.taskType}`, AgentFailureType.NO_BACKEND);

    // Resources first: an execution that cannot have them does not start (and is not counted).
    const leaseMs = backend.type === 'command' ? Math.max(30_000, 2 * backend.heartbeatTimeoutMs) : backend.timeoutMs;
    const lease = () => new Date(Date.now() + leaseMs);
    if (task.resources.length) await acquireResources(prisma, taskId, task.resources, lease());
    const { attempts: attempt } = await prisma.task.update({
      where: { id: taskId },
      data: {
        status: TaskStatus.RUNNING,
        // Every execution counts, across retries and resumed runs.
        attempts: { increment: 1 },
        assignedAgent: agentName ?? backend.name,
        startedAt: task.startedAt ?? new Date(),
        taskToken: backend.type === 'http' ? Buffer.from(context.info.taskToken) : null,
        callbackAt: null,
      },
    });

    const { ticket } = task;
    const phase = task.phaseId as Phase;
    const dependencies = await prisma.task.findMany({ where: { id: { in: task.dependencies }, status: TaskStatus.COMPLETED } });
    const artifacts = task.taskType === VALIDATION_TASK_TYPE ? await runArtifacts(prisma, { ticketId: ticket.id, phase, entry: task.phaseEntry }) : [];
    const workspace = path.join(workspacesDir, ticket.id);
    await mkdir(workspace, { recursive: true });
    const request: AgentRequest = {
      protocol: AGENT_PROTOCOL,
      task: {
        id: task.id,
        taskType: task.taskType,
        phase,
        description: task.description,
        priority: task.priority as Priority,
        requiredCapabilities: task.requiredCapabilities,
        attempt,
      },
      ticket: {
        id: ticket.id,
        externalId: ticket.externalId,
        title: ticket.title,
        description: ticket.description,
        priority: ticket.priority as Priority,
        labels: ticket.labels,
        acceptanceCriteria: ticket.acceptanceCriteria,
      },
      contextSummary: summarizeContext(contextForPhase((ticket.context ?? {}) as TicketContext, phase)).summary,
      dependencies: dependencies.map((dependency) => ({
        taskType: dependency.taskType,
        output: ((dependency.result as StoredTaskResult | null)?.output ?? {}) as Record<string, unknown>,
      })),
      artifacts: artifacts.map((artifact) => ({ type: artifact.artifactType, path: artifact.artifactPath || undefined, content: artifact.artifactContent })),
      workspace,
    };
    const agent = agentName ?? backend.name;
    const log = logger.child({ taskId, taskType: task.taskType, agent, attempt });

    try {
      if (backend.type === 'http') {
        const callback = `${publicApiUrl}/tasks/${taskId}`;
        await handOverToHttpAgent(
          backend,
          { ...request, callback: { completeUrl: `${callback}/complete?attempt=${attempt}`, failUrl: `${callback}/fail?attempt=${attempt}` } },
          context.cancellationSignal,
        );
        log.info('task handed over to http agent; waiting for its callback');
        throw new CompleteAsyncError();
      }
      const leftover = await stopLeftoverAgent(workspace, taskId);
      if (leftover) log.warn({ pid: leftover }, 'stopped the agent a previous execution left running');
      const result = await runCommandAgent(backend, request, {
        cwd: workspace,
        onSpawn: (pid) => rememberAgent(workspace, taskId, pid),
        baseDir: config.baseDir,
        signal: context.cancellationSignal,
        heartbeat: (details) => {
          context.heartbeat(details);
          if (task.resources.length) renewResources(prisma, taskId, lease()).catch((error: unknown) => log.warn({ err: error }, 'lease renewal failed'));
        },
        heartbeatIntervalMs: Math.max(100, Math.floor(backend.heartbeatTimeoutMs / 3)),
        log: (line) => log.debug({ stderr: line }, 'agent stderr'),
      }).finally(() => forgetAgent(workspace, taskId));
      if (result.status === 'failed') {
        throw new AgentFailure(result.error ?? 'agent reported failure', AgentFailureType.TASK_FAILED, result.retryable ?? true);
      }
      await storeCompletion(prisma, taskId, { output: result.output, artifacts: result.artifacts });
      return { taskId, status: TaskStatus.COMPLETED, agent };
    } catch (error) {
      if (error instanceof CompleteAsyncError) throw error;
      await releaseResources(prisma, taskId);
      if (!(error instanceof AgentFailure)) throw error;
      log.warn({ failure: error.type, retryable: error.retryable }, error.message);
      await prisma.task.update({
        where: { id: taskId },
        data: { status: error.retryable ? TaskStatus.PENDING : TaskStatus.FAILED, error: `${error.type}: ${error.message}` },
      });
      throw ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: !error.retryable });
    }
  };
}
