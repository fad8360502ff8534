/**
 * A registered agent worker (seed 004 milestones 1.3 and 3.1): registers itself in the agent
 * registry, polls its own task queue for agent task executions (at most `capacity` at once) and
 * heartbeats the registry every 30 s. The `routeTask` activity sends a task needing its
 * capabilities there while it is healthy; when it dies, its running task times out on its
 * heartbeat timeout and the next attempt is routed elsewhere.
 */
import type { Agent } from '@prisma/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { createExecuteTask } from '../../activities/agents/execute-task';
import { createTicketTrees } from '../repositories/ticket-trees';
import { AgentRegistry } from './registry';
import { AGENT_HEARTBEAT_INTERVAL_MS } from './ranking';
import { registeredAgentQueue } from '../platform/task-queues';

/** Options of {@link startAgentWorker}. */
export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The ticket queue the orchestrator runs on; the agent's queue is named after it. */
  ticketQueue: string;
  name: string;
  capabilities: string[];
  /** Tasks at once (≥ 1). */
  capacity: number;
  tags?: string[];
  /** Activity dependencies; the agent's backends come from `activities.config`. */
  activities: ActivityDependencies;
  /** Heartbeat interval, ms (default 30 s). */
  heartbeatIntervalMs?: number;
}

/** A running agent worker. */
export interface RunningAgentWorker {
  agent: Agent;
  /** Resolves when the worker stops (rejects if it fails). */
  running: Promise<void>;
  /** Stops heartbeating, shuts the worker down and marks the agent unhealthy. */
  stop(): Promise<void>;
}

/**
 * Registers the agent and starts its worker and heartbeats.
 *
 * @throws Error when registration or worker creation fails.
 */
export async function startAgentWorker(options: AgentWorkerOptions): Promise<RunningAgentWorker> {
  const registry = new AgentRegistry(options.activities.prisma);
  const timeouts = options.activities.config.backends.filter((backend) => options.capabilities.some((c) => backend.capabilities.includes(c)));
  const { agent } = await registry.register({
    name: options.name,
    capabilities: options.capabilities,
    capacity: options.capacity,
    tags: options.tags ?? [],
    taskQueue: registeredAgentQueue(options.ticketQueue, options.name),
    timeoutMs: Math.max(...timeouts.map((backend) => backend.timeoutMs), 60_000),
    heartbeatTimeoutMs: Math.max(...timeouts.map((backend) => (backend.type === 'http' ? 0 : backend.heartbeatTimeoutMs)), 5_000),
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: agent.taskQueue,
    activities: {
      executeTask: createExecuteTask({ ...options.activities, agentName: agent.name }, createTicketTrees(options.activities.prisma, options.activities)),
    },
    maxConcurrentActivityTaskExecutions: options.capacity,
  });
  const beat = setInterval(() => {
    registry.heartbeat(agent.id).catch((error: unknown) => options.activities.logger.warn({ err: error }, 'agent heartbeat failed'));
  }, options.heartbeatIntervalMs ?? AGENT_HEARTBEAT_INTERVAL_MS);
  const running = worker.run().finally(() => clearInterval(beat));
  return {
    agent,
    running,
    async stop() {
      clearInterval(beat);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await registry.markUnhealthy(agent.id);
    },
  };
}
