/**
 * The `executeTask` activity: one execution of a task through the agent backend its required
 * capabilities select (seed 001/002 Stream F; seed 004 milestones 1.2 and 1.4). The `command`
 * backend runs the agent process and heartbeats while it runs; a coding-agent CLI backend (issue 10:
 * `claude-code`, `codex`, `gemini-cli`, `aider`) runs the CLI headless and heartbeats its progress
 * (./cli-execution.ts); the `http` backend hands the task over and completes asynchronously when
 * the agent calls back through the API. Every process execution is recorded with its usage
 * (`agent_executions`). Errors are
 * classified: permanent ones fail the activity as non-retryable, transient ones are retried by the
 * ticket workflow (with exponential backoff, counting executions in `tasks.attempts`).
 * The rows are the phase-work stores'; the request is shaped by src/agents/request.ts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import { AgentFailure, AgentFailureType } from '../../src/agents/agent-failure';
import { agentRecordsDir, forgetAgent, rememberAgent, stopLeftoverAgent } from '../../src/agents/agent-processes';
import { runCommandAgent } from '../../src/agents/command-backend';
import { selectBackend, type AgentBackendConfig, type OrchestratorConfig } from '../../src/agents/config';
import type { TaskExecution, TaskRef } from '../../src/agents/contracts';
import { NO_USAGE, recordExecution } from '../../src/agents/executions';
import { handOverToHttpAgent } from '../../src/agents/http-backend';
import type { AgentRequest, AgentResult } from '../../src/agents/protocol';
import { agentRequest } from '../../src/agents/request';
import { PhaseSummaryCache, type TicketContext } from '../../src/phase-work/context-summary';
import { acquireResources, releaseResources, renewResources } from '../../src/phase-work/resource-locks';
import { TaskStatus } from '../../src/phase-work/tasks';
import { executionInputs, loadTaskWithTicket, recordExecutionFailure, startExecution, storeCompletion } from '../../src/phase-work/task-store';
import type { Logger } from '../../src/platform/logger';
import type { Phase } from '../../src/ticket/phases';
import type { TicketTree, TicketTrees } from '../../src/repositories/ticket-trees';
import { asActivity } from '../failures';
import { whileHeartbeating } from '../heartbeat';
import { runCliExecution } from './cli-execution';

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
  /**
   * Directory of this machine's repository caches (issue 9): a cached clone per repository and the
   * set-up outputs shared between working trees.
   */
  repositoryCacheDir: string;
}

/** Shortest resource lease of a process execution, ms (the lease is renewed with each heartbeat). */
const MIN_COMMAND_LEASE_MS = 30_000;

/** Shortest interval between heartbeats of a process execution, ms. */
const MIN_HEARTBEAT_INTERVAL_MS = 100;

/** Heartbeats per heartbeat timeout of a process execution. */
const HEARTBEATS_PER_TIMEOUT = 3;

/** Interval between heartbeats of an execution on `backend`, ms (an http execution has no heartbeat timeout: its lease's). */
function heartbeatIntervalOf(backend: AgentBackendConfig): number {
  const timeoutMs = backend.type === 'http' ? MIN_COMMAND_LEASE_MS : backend.heartbeatTimeoutMs;
  return Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(timeoutMs / HEARTBEATS_PER_TIMEOUT));
}

/** How long a resource lock of an execution on `backend` lasts without renewal, ms. */
function leaseMsOf(backend: AgentBackendConfig): number {
  return backend.type === 'http' ? backend.timeoutMs : Math.max(MIN_COMMAND_LEASE_MS, 2 * backend.heartbeatTimeoutMs);
}

/**
 * Builds the `executeTask` activity. For a ticket with a repository (issue 9) the agent runs in the
 * ticket's working tree, synced from the remote first, and what it changed is committed and pushed
 * by the orchestrator ({@link TicketTrees}) before the task completes; the documents it wrote at
 * their conventional paths replace the ones it reported.
 *
 * Idempotent: a task already completed (a retry after a crash, or a late http completion) returns
 * at once without running the agent again.
 *
 * @param input.taskId the task row
 * @returns {@link TaskExecution} once the agent completed the task
 * @throws ApplicationFailure of an {@link AgentFailureType} (non-retryable when permanent),
 *   TaskNotFound (non-retryable), ResourceBusy (retryable; the execution did not start and is not
 *   counted); CancelledFailure when the workflow cancels it (the process is killed).
 */
export function createExecuteTask({ prisma, config, workspacesDir, publicApiUrl, logger, agentName }: ExecuteTaskDependencies, trees: TicketTrees) {
  const summaries = new PhaseSummaryCache();
  return async function executeTask({ taskId }: TaskRef): Promise<TaskExecution> {
    const context = Context.current();
    const task = await asActivity(() => loadTaskWithTicket(prisma, taskId));
    if (task.status === TaskStatus.COMPLETED) return { taskId, status: TaskStatus.COMPLETED, agent: task.assignedAgent ?? 'unknown' };
    const backend = selectBackend(config, task.requiredCapabilities);
    if (!backend) throw ApplicationFailure.nonRetryable(`no agent backend for task ${task.taskType}`, AgentFailureType.NO_BACKEND);
    const agent = agentName ?? backend.name;
    const heartbeatIntervalMs = heartbeatIntervalOf(backend);

    // Resources first: an execution that cannot have them does not start (and is not counted).
    const lease = () => new Date(Date.now() + leaseMsOf(backend));
    if (task.resources.length) await asActivity(() => acquireResources(prisma, taskId, task.resources, lease()));
    const agents = agentRecordsDir(workspacesDir, task.ticket.id);
    // The steps before the agent starts that do not depend on each other run at once (issue 8 §3):
    // the row write, the reads for the request, the workspace (an agent process an earlier execution
    // left running in it stopped first; for a ticket with a repository, its working tree synced from
    // the remote, issue 9), and meanwhile the context summary (cached per phase run).
    const prepared = Promise.all([
      startExecution(prisma, task, agent, backend.type === 'http' ? context.info.taskToken : null),
      executionInputs(prisma, task),
      (backend.type === 'http' ? Promise.resolve(undefined) : stopLeftoverAgent(agents, taskId)).then(async (leftover) => ({
        leftover,
        ...(await whileHeartbeating(heartbeatIntervalMs, { step: 'preparing the workspace' }, () =>
          prepareWorkspace(task.ticket.id, task.ticket.repositoryName !== null),
        )),
      })),
    ]);
    const contextSummary = summaries.summaryFor(task.ticket.id, (task.ticket.context ?? {}) as TicketContext, task.phaseId as Phase);
    const [attempt, inputs, { path: workspace, tree, leftover }] = await prepared;
    const request = agentRequest({ task, ticket: task.ticket, attempt, workspace, contextSummary, ...inputs });
    const log = logger.child({ taskId, taskType: task.taskType, agent, attempt });
    if (leftover) log.warn({ pid: leftover }, 'stopped the agent a previous execution left running');

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
      const result =
        backend.type === 'command'
          ? await runCommand(backend, request, workspace, log)
          : await runCliExecution({
              prisma,
              config,
              backend,
              agent,
              request,
              ticket: task.ticket,
              workspace,
              plainWorkspace: tree === null,
              scratchDir: path.join(agents, taskId),
              signal: context.cancellationSignal,
              onProgress: heartbeat,
              heartbeatIntervalMs,
              onSpawn: (pid) => rememberAgent(agents, taskId, pid),
              log,
            }).finally(() => forgetAgent(agents, taskId));
      // The orchestrator, not the agent, commits and pushes what the task changed (issue 9).
      const summary = typeof result.output.summary === 'string' ? result.output.summary : '';
      const committed = tree
        ? await whileHeartbeating(heartbeatIntervalMs, { step: 'committing' }, () => trees.commitTask(tree, task, attempt, agent, summary))
        : undefined;
      const artifacts = committed
        ? [...result.artifacts.filter((artifact) => !committed.documents.some((document) => document.type === artifact.type)), ...committed.documents]
        : result.artifacts;
      await storeCompletion(prisma, taskId, { output: result.output, artifacts });
      return { taskId, status: TaskStatus.COMPLETED, agent };
    } catch (error) {
      if (error instanceof CompleteAsyncError) throw error;
      await releaseResources(prisma, taskId);
      if (!(error instanceof AgentFailure)) throw error;
      log.warn({ failure: error.type, retryable: error.retryable }, error.message);
      await recordExecutionFailure(prisma, taskId, error.retryable, `${error.type}: ${error.message}`);
      throw ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: !error.retryable });
    }

    /** Heartbeats a running agent process's `details` and renews the task's resource leases. */
    function heartbeat(details: object): void {
      context.heartbeat(details);
      if (task.resources.length) renewResources(prisma, taskId, lease()).catch((error: unknown) => log.warn({ err: error }, 'lease renewal failed'));
    }

    /**
     * Runs the command agent in `workspace` (where no earlier execution's agent runs any more),
     * heartbeating and renewing the task's resource leases while it runs, and records the
     * execution (with the usage the agent reported, if any).
     * @returns its completed result
     * @throws AgentFailure when it fails
     */
    async function runCommand(
      backend: Extract<AgentBackendConfig, { type: 'command' }>,
      request: AgentRequest,
      workspace: string,
      log: Logger,
    ): Promise<AgentResult> {
      const startedAt = new Date();
      const record = (status: 'completed' | 'failed', error: string | null) =>
        recordExecution(prisma, {
          taskId,
          attempt: request.task.attempt,
          backend: agent,
          backendType: backend.type,
          model: null,
          status,
          error,
          usage: NO_USAGE,
          startedAt,
          finishedAt: new Date(),
        });
      const result = await runCommandAgent(backend, request, {
        cwd: workspace,
        onSpawn: (pid) => rememberAgent(agents, taskId, pid),
        baseDir: config.baseDir,
        signal: context.cancellationSignal,
        heartbeat,
        heartbeatIntervalMs,
        log: (line) => log.debug({ stderr: line }, 'agent stderr'),
      })
        .catch(async (error: unknown) => {
          if (error instanceof AgentFailure) await record('failed', error.message);
          throw error;
        })
        .finally(() => forgetAgent(agents, taskId));
      await record(result.status, result.status === 'failed' ? (result.error ?? null) : null);
      if (result.status === 'failed') {
        throw new AgentFailure(result.error ?? 'agent reported failure', AgentFailureType.TASK_FAILED, result.retryable ?? true);
      }
      return result;
    }
  };

  /**
   * The ticket's workspace on this machine: for a ticket with a repository its working tree
   * synced from the remote, else a plain directory `workspacesDir/<ticketId>`.
   */
  async function prepareWorkspace(ticketId: string, hasRepository: boolean): Promise<{ path: string; tree: TicketTree | null }> {
    const tree = hasRepository ? await trees.prepare(ticketId) : null;
    if (tree) return { path: tree.tree, tree };
    const workspace = path.join(workspacesDir, ticketId);
    await mkdir(workspace, { recursive: true });
    return { path: workspace, tree: null };
  }
}
