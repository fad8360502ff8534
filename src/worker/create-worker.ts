/**
 * The workers of one ticket task queue: one runs the ticket workflows (bundled from `workflows/`)
 * and their bookkeeping activities on the ticket queue; the other runs agent task executions on
 * the agent queue beside it, with at most `maxConcurrentAgentTasks` at once, the global limit
 * across tickets (each ticket also has its own, `maxParallelTasks`).
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities';
import { agentTaskQueue } from '../platform/task-queues';
import type { TicketActivities } from '../ticket/contracts';

/** Where the worker gets its workflow code: bundled from source (default) or a prebuilt bundle. */
export type WorkflowSource = Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>;

/** Path of the workflow entry point, for `workflowsPath` and `bundleWorkflowCode`. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/**
 * Capacity of the ticket worker (issue 8 §2), from `WORKER_*` (see the README's configuration):
 * ticket workflows kept in memory, workflow and bookkeeping-activity task slots, and pollers.
 */
export interface WorkerSizing {
  maxCachedWorkflows: number;
  /** Workflow tasks processed at once (≥ 2 when caching). */
  workflowTaskSlots: number;
  /** Bookkeeping activities run at once. */
  activityTaskSlots: number;
  workflowPollers: number;
  activityPollers: number;
  /** Threads that run workflow code (`workflowThreadPoolSize`). */
  workflowThreads: number;
}

/** Options of {@link createTicketWorkers}. */
export interface TicketWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The ticket queue; agent tasks go to {@link agentTaskQueue} of it. */
  taskQueue: string;
  /** Database, orchestrator configuration, workspaces and logger the activities use. */
  activities: ActivityDependencies;
  /** Agent tasks this process runs at once, across all tickets (≥ 1). */
  maxConcurrentAgentTasks: number;
  /** Defaults to bundling {@link WORKFLOWS_PATH} (a few seconds). */
  workflows?: WorkflowSource;
  /** Capacity of the ticket worker; absent: the SDK's defaults (tests). */
  sizing?: WorkerSizing;
  /**
   * Whether this process also runs the agent queue's worker (default true). False when a process
   * of its own runs it ({@link createAgentQueueWorker}, src/entrypoints/agent-queue-worker.ts).
   */
  agentQueue?: boolean;
}

/** Both workers, run and stopped together. */
export interface TicketWorkers {
  /** Runs until shut down; rejects (after stopping the other) if either worker fails. */
  run(): Promise<void>;
  /** Starts a graceful shutdown of both. */
  shutdown(): void;
}

/** The activities of the agent queue: agent executions and the orchestrator's own checks of a repository (issue 9). */
export type AgentQueueActivities = Pick<TicketActivities, 'executeTask' | 'verifyWorkspace' | 'integrate'>;

/**
 * Creates (does not run) the worker of the agent queue beside `taskQueue`: agent task executions
 * (`executeTask`) and the repository checks (`verifyWorkspace`, `integrate`), at most
 * `maxConcurrentAgentTasks` at once, the global limit across tickets.
 */
export async function createAgentQueueWorker(
  options: Pick<TicketWorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'maxConcurrentAgentTasks'> & { activities: AgentQueueActivities },
): Promise<Worker> {
  const { executeTask, verifyWorkspace, integrate } = options.activities;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: agentTaskQueue(options.taskQueue),
    activities: { executeTask, verifyWorkspace, integrate },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentAgentTasks,
  });
}

/** Creates (does not run) the ticket worker and, unless `agentQueue` is false, the agent queue's worker. */
export async function createTicketWorkers(options: TicketWorkerOptions): Promise<TicketWorkers> {
  const { executeTask, verifyWorkspace, integrate, ...bookkeeping } = createActivities(options.activities);
  const common = { connection: options.connection, namespace: options.namespace };
  const tickets = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    ...(options.workflows ?? { workflowsPath: WORKFLOWS_PATH }),
    activities: bookkeeping,
    ...(options.sizing && {
      maxCachedWorkflows: options.sizing.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: options.sizing.workflowTaskSlots,
      maxConcurrentActivityTaskExecutions: options.sizing.activityTaskSlots,
      maxConcurrentWorkflowTaskPolls: options.sizing.workflowPollers,
      maxConcurrentActivityTaskPolls: options.sizing.activityPollers,
      workflowThreadPoolSize: options.sizing.workflowThreads,
    }),
  });
  const workers = [tickets];
  if (options.agentQueue ?? true) workers.push(await createAgentQueueWorker({ ...options, activities: { executeTask, verifyWorkspace, integrate } }));
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    run: async () => {
      const results = await Promise.allSettled(
        workers.map((worker) =>
          worker.run().catch((error: unknown) => {
            shutdown();
            throw error;
          }),
        ),
      );
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) throw failure.reason;
    },
    shutdown,
  };
}
