/**
 * The Temporal worker of the ticket task queue: bundles `workflows/` and registers the activities
 * built around the given dependencies.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities';

/** Where the worker gets its workflow code: bundled from source (default) or a prebuilt bundle. */
export type WorkflowSource = Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>;

/** Path of the workflow entry point, for `workflowsPath` and `bundleWorkflowCode`. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Options of {@link createTicketWorker}. */
export interface TicketWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Database, orchestrator configuration, workspaces and logger the activities use. */
  activities: ActivityDependencies;
  /** Defaults to bundling {@link WORKFLOWS_PATH} (a few seconds). */
  workflows?: WorkflowSource;
}

/** Creates (does not run) the worker for ticket workflows and their activities. */
export function createTicketWorker(options: TicketWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflows ?? { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.activities),
  });
}
