/**
 * Tasks as the ticket workflow schedules them (seed 001/002 Stream F; seed 004 milestone 1.1:
 * a task runs only once the tasks it depends on have completed). Pure module: no Node, Prisma or
 * Temporal imports, so the workflow and the activities share it.
 */
import type { ORCHESTRATOR_TASKS } from '../repositories/contracts';
import { PRIORITIES, type Priority } from '../ticket/ticket';

/** Task statuses, as stored in `tasks.status`. */
export const TaskStatus = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
} as const;

/** One of the {@link TaskStatus} values. */
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/**
 * Failure type of an execution that could not start because another task holds one of its
 * resources; the workflow waits and tries again without counting it as an attempt.
 */
export const RESOURCE_BUSY = 'ResourceBusy';

/**
 * How an agent backend runs: a local process speaking the agent protocol, an HTTP service that
 * calls back, or a coding-agent CLI run headless (issue 10).
 */
export type AgentBackendType = 'command' | 'http' | 'claude-code' | 'codex' | 'gemini-cli' | 'aider';

/** The backend chosen for a task and the timeouts its executions get. */
export interface AgentAssignment {
  /** Backend name from the agents configuration. */
  name: string;
  type: AgentBackendType;
  /** Start-to-close timeout of one execution, ms. */
  timeoutMs: number;
  /** Heartbeat timeout, ms (process backends heartbeat while the process runs; 0 = none). */
  heartbeatTimeoutMs: number;
  /** Task queue of a registered agent worker; absent: the built-in agent queue beside the ticket queue. */
  taskQueue?: string;
  /** For the orchestrator's own tasks (issue 9): the activity that runs it instead of `executeTask`. */
  activity?: (typeof ORCHESTRATOR_TASKS)[keyof typeof ORCHESTRATOR_TASKS];
}

/** A task of a phase run as the workflow schedules it. */
export interface PlannedTask {
  id: string;
  taskType: string;
  priority: Priority;
  status: TaskStatus;
  /** IDs of tasks of the same run that must complete first. */
  dependencies: string[];
  /** Resources it needs alone. */
  resources: string[];
}

const rank = (priority: Priority) => PRIORITIES.indexOf(priority);

/**
 * The tasks that may start now: not completed, not running, every dependency completed, and no
 * resource shared with a running task or with a task chosen before it; highest priority first,
 * then in plan order.
 *
 * @param running IDs of tasks executing now
 */
export function runnableTasks(tasks: readonly PlannedTask[], running: ReadonlySet<string>): PlannedTask[] {
  const completed = new Set(tasks.filter((task) => task.status === TaskStatus.COMPLETED).map((task) => task.id));
  const held = new Set(tasks.filter((task) => running.has(task.id)).flatMap((task) => task.resources));
  const chosen: PlannedTask[] = [];
  const candidates = tasks
    .filter((task) => task.status !== TaskStatus.COMPLETED && task.status !== TaskStatus.FAILED && !running.has(task.id))
    .filter((task) => task.dependencies.every((id) => completed.has(id)))
    .sort((a, b) => rank(a.priority) - rank(b.priority));
  for (const task of candidates) {
    if (task.resources.some((resource) => held.has(resource))) continue;
    for (const resource of task.resources) held.add(resource);
    chosen.push(task);
  }
  return chosen;
}

/**
 * Tasks that can never start: a dependency failed, is missing from the run, or (transitively)
 * waits on such a task or on a cycle. Returned as readable reasons, one per task.
 */
export function unreachableTasks(tasks: readonly PlannedTask[]): string[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const reachable = new Map<string, boolean>();
  const visit = (task: PlannedTask, path: Set<string>): boolean => {
    const known = reachable.get(task.id);
    if (known !== undefined) return known;
    if (task.status === TaskStatus.COMPLETED) return true;
    if (task.status === TaskStatus.FAILED || path.has(task.id)) return false;
    path.add(task.id);
    const ok = task.dependencies.every((id) => {
      const dependency = byId.get(id);
      return dependency !== undefined && visit(dependency, path);
    });
    path.delete(task.id);
    reachable.set(task.id, ok);
    return ok;
  };
  return tasks
    .filter((task) => task.status !== TaskStatus.COMPLETED && task.status !== TaskStatus.FAILED && !visit(task, new Set()))
    .map((task) => {
      const waits = task.dependencies.map((id) => byId.get(id)?.taskType ?? id).join(', ');
      return `task ${task.taskType} cannot start: it depends on ${waits}, which did not complete`;
    });
}
