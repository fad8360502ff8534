/**
 * Chooses where a task's next execution runs (seed 004 milestones 1.3 and 3.1): the best-fit
 * registered agent that is healthy by both its heartbeats and Temporal's view of its task queue
 * (a worker polls it), else the built-in backend of the configuration. Candidate agents found
 * stale are marked unhealthy (by the registry's search) and get no new work. Called before every execution attempt, so a retry after
 * an agent died goes elsewhere.
 */
import { ApplicationFailure, getClient } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import type { PrismaClient, Task } from '@prisma/client';
import { AgentFailureType } from '../../src/agents/agent-failure';
import { assignmentOf, selectBackend, type OrchestratorConfig } from '../../src/agents/config';
import type { AgentRegistry } from '../../src/agents/registry';
import type { AgentAssignment } from '../../src/phase-work/tasks';
import { TASK_NOT_FOUND } from '../../src/phase-work/contracts';
import { ORCHESTRATOR_AGENT, ORCHESTRATOR_TASKS } from '../../src/repositories/contracts';
import { toRepositorySpec } from '../../src/repositories/store';

/** How recently a worker must have polled an agent's queue to count as alive, ms. */
export const POLLER_FRESH_MS = 60_000;

/** Whether a worker polled `taskQueue` for activities within {@link POLLER_FRESH_MS}. */
async function hasPollers(taskQueue: string): Promise<boolean> {
  const client = getClient();
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const now = Date.now();
  return pollers.some((poller) => {
    const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < POLLER_FRESH_MS;
  });
}

/** Heartbeat timeout of the orchestrator's own tasks, ms (they heartbeat every few seconds). */
const ORCHESTRATOR_HEARTBEAT_TIMEOUT_MS = 30_000;

/** Start-to-close margin of the orchestrator's own tasks over their repository's command timeouts (git work), ms. */
const ORCHESTRATOR_MARGIN_MS = 120_000;

/**
 * The assignment of one of the orchestrator's own tasks (issue 9): its activity on the built-in
 * agent queue, with a start-to-close timeout covering the repository's set-up and test commands.
 */
async function orchestratorAssignment(prisma: PrismaClient, task: Task, timeoutMs: number | undefined): Promise<AgentAssignment> {
  const ticket = await prisma.ticket.findUnique({ where: { id: task.ticketId }, select: { repository: true } });
  const repository = ticket?.repository ? toRepositorySpec(ticket.repository) : undefined;
  const commandsMs = repository ? (repository.setup?.timeoutMs ?? 0) + repository.test.timeoutMs : 0;
  return {
    name: ORCHESTRATOR_AGENT,
    type: 'command',
    timeoutMs: timeoutMs ?? commandsMs + ORCHESTRATOR_MARGIN_MS,
    heartbeatTimeoutMs: ORCHESTRATOR_HEARTBEAT_TIMEOUT_MS,
    activity: ORCHESTRATOR_TASKS[task.taskType as keyof typeof ORCHESTRATOR_TASKS],
  };
}

/**
 * Builds the `routeTask` activity. The orchestrator's own tasks (issue 9: `verify_workspace`,
 * `integrate_branch`) are routed to their activity, never to an agent.
 *
 * @returns the assignment of the next execution (`taskQueue` set for a registered agent)
 * @throws ApplicationFailure TaskNotFound, NoAgentForCapabilities (both non-retryable)
 */
export function createRouteTask(prisma: PrismaClient, config: OrchestratorConfig, registry: AgentRegistry) {
  return async function routeTask({ taskId }: { taskId: string }): Promise<AgentAssignment> {
    // The task and the registered agents at once (issue 8 §3); the task's capabilities then pick the candidates.
    const [task, agents] = await Promise.all([prisma.task.findUnique({ where: { id: taskId } }), registry.enabledAgents()]);
    if (!task) throw ApplicationFailure.nonRetryable(`task ${taskId} does not exist`, TASK_NOT_FOUND);
    // The task's own limit, if it has one, replaces the agent's (seed 004 milestone 1.4).
    const timeoutMs = task.timeoutSeconds ? task.timeoutSeconds * 1000 : undefined;
    if (Object.hasOwn(ORCHESTRATOR_TASKS, task.taskType)) return orchestratorAssignment(prisma, task, timeoutMs);
    for (const agent of await registry.rank(agents, task.requiredCapabilities)) {
      if (agent.running >= agent.capacity) break; // ranked: the rest are at capacity too
      if (!(await hasPollers(agent.taskQueue))) {
        await registry.markUnhealthy(agent.id);
        continue;
      }
      return {
        name: agent.name,
        type: 'command',
        timeoutMs: timeoutMs ?? agent.timeoutMs,
        heartbeatTimeoutMs: agent.heartbeatTimeoutMs,
        taskQueue: agent.taskQueue,
      };
    }
    const backend = selectBackend(config, task.requiredCapabilities);
    if (!backend) {
      throw ApplicationFailure.nonRetryable(
        `no agent has the capabilities [${task.requiredCapabilities.join(', ')}] of task ${task.taskType}`,
        AgentFailureType.NO_BACKEND,
      );
    }
    const assignment = assignmentOf(backend);
    return { ...assignment, timeoutMs: timeoutMs ?? assignment.timeoutMs };
  };
}
