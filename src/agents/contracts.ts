/**
 * What the ticket workflow and the agent activities agree on (seed 004 milestones 1.2–1.4, 3.1):
 * the inputs and outputs of `routeTask` and `executeTask`, and the {@link AgentActivities}
 * interface the workflow proxies. The failure types they raise are {@link AgentFailureType} (and
 * `TaskNotFound`, `ResourceBusy` of src/phase-work). Types only: workflow code may import it.
 */
import type { AgentAssignment, TaskStatus } from '../phase-work/tasks';

export type { AgentFailureType } from './agent-failure';

/** Input of `routeTask` and `executeTask`: the task row's ID. */
export interface TaskRef {
  taskId: string;
}

/** Result of an execution, as the workflow sees it (the agent's output stays in the database). */
export interface TaskExecution {
  taskId: string;
  status: typeof TaskStatus.COMPLETED;
  /** Backend or registered agent that ran the task. */
  agent: string;
}

/** The agent activities, keyed by activity name (implementations: activities/agents/). */
export interface AgentActivities {
  /**
   * Where the task's next execution runs: the best-fit healthy registered agent, else a built-in backend.
   * @throws ApplicationFailure TaskNotFound, NoAgentForCapabilities (both non-retryable)
   */
  routeTask: (input: TaskRef) => Promise<AgentAssignment>;
  /**
   * Runs the task through its agent; completes once the agent did (asynchronously for http agents).
   * @throws ApplicationFailure of an AgentFailureType, TaskNotFound, ResourceBusy
   */
  executeTask: (input: TaskRef) => Promise<TaskExecution>;
}
