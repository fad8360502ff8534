/**
 * The work of one phase run inside the ticket workflow (seed 001/002, Streams F–H): generate the
 * tasks, run them through agents (independent tasks in parallel up to a limit, each after the
 * tasks it depends on), collect the artifacts, validate the gate (with the validation agent where
 * enabled, re-validating after a delay before giving up), and update the context. Every step is an
 * activity with retries and timeouts, so its name shows in the Temporal Web UI. A run whose running
 * tasks all wait for resources when the history is due to continue as new suspends, to be resumed
 * by the next workflow run (issue 8 §1, `suspended` below).
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { TicketActivities } from '../../src/ticket/contracts';
import type { GateVerdict, PhaseRunRef } from '../../src/phase-work/contracts';
import { RESOURCE_BUSY, TaskStatus, runnableTasks, unreachableTasks, type AgentAssignment, type PlannedTask } from '../../src/phase-work/tasks';
import type { PhaseRun, TicketLifecycle } from '../../src/ticket/lifecycle';
import { DEFAULT_RESOURCE_WAIT, type TicketSettings } from '../../src/ticket/settings';
import { agentTaskQueue } from '../../src/platform/task-queues';
import { FAST_TRANSITIONS_PATCH, RESOURCE_WAIT_SUSPEND_PATCH } from '../ticket/patches';
import { bookkeeping } from '../bookkeeping';
import { continueAsNewDue } from '../ticket/continue-as-new';

/** How a run's work ended. */
export type WorkOutcome =
  | { kind: 'passed' }
  /** `question`: the gate could not check the work at all (cause `needs_clarification`, issue 11). */
  | { kind: 'failed'; cause: 'gate' | 'task' | 'needs_clarification'; reason: string; question?: string }
  /** The ticket left the phase (or was blocked by hand) while the work ran; the work was cancelled. */
  | { kind: 'interrupted' }
  /**
   * The history is due to continue as new while every running task waited for a resource (issue 8
   * §1): the waits stopped without recording an outcome, so those tasks are pending again, and the
   * run's step is left as it was (not `complete`): working the same run again, in a new workflow
   * run, resumes it (completed tasks are kept, the waiting ones try again).
   */
  | { kind: 'suspended' };

/**
 * The outcome of a run whose gate failed: cause `gate`, or `needs_clarification` with the question
 * when the verdict has one (issue 11; the reason then starts with the question).
 */
function gateFailure(run: PhaseRun, verdict: GateVerdict): Extract<WorkOutcome, { kind: 'failed' }> {
  const failed = `gate of ${run.phase} failed: ${verdict.blockingReasons.join('; ')}`;
  if (verdict.clarification === undefined) return { kind: 'failed', cause: 'gate', reason: failed };
  return { kind: 'failed', cause: 'needs_clarification', reason: `needs clarification: ${verdict.clarification} (${failed})`, question: verdict.clarification };
}

/** {@link PhaseWork.runTask}'s result for a task whose resource wait stopped because the run suspends. */
const SUSPENDED = 'suspended';

/** Longest wait for a registered agent's worker to pick an execution up, ms. */
const REGISTERED_AGENT_PICKUP_MS = 30_000;

/** Whether another attempt could help: anything but a failure the agent or activity declared permanent. */
function isRetryable(error: unknown): boolean {
  return !(error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable);
}

/** One line for a task's final failure: the failure type and message, and why retrying stopped. */
function describeFailure(error: unknown, attempts: number): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const what =
    cause instanceof ApplicationFailure
      ? `${cause.type ?? 'Error'}: ${cause.message}`
      : cause instanceof TimeoutFailure
        ? `${cause.timeoutType} timeout`
        : cause instanceof Error
          ? cause.message
          : String(cause);
  return `${what} (${isRetryable(error) ? `retries exhausted after ${attempts} attempts` : 'not retryable'})`;
}

/** A task's executions stopped for good; the message describes the last failure and the attempts. */
class ExecutionsFailed extends Error {
  constructor(last: unknown, attempts: number) {
    super(describeFailure(last, attempts));
  }
}

/** Runs the work of phase runs for one ticket workflow. */
export class PhaseWork {
  /** Tasks of the run being worked (for the `getState` query). */
  tasks: PlannedTask[] = [];
  private scope: CancellationScope | undefined;
  /** Scopes of the executing tasks, to cancel one alone. */
  private readonly taskScopes = new Map<string, CancellationScope>();
  /** Tasks cancelled on request in this run, with the reason. */
  private readonly cancelRequests = new Map<string, string>();
  /** Dependencies changed since the run was planned. */
  private planStale = false;
  /** Executing tasks sleeping in a resource wait now (a subset of {@link taskScopes}' keys). */
  private readonly resourceWaiters = new Set<string>();
  /** Whether a resource wait may suspend the run: only while its tasks run, before any failed or was cancelled. */
  private suspendable = false;
  /** The run is suspending: sleeping waiters wake and stop, and no task starts. */
  private suspending = false;
  /** The run whose work last returned `suspended`, until work starts again. */
  private suspendedRun: PhaseRun | undefined;

  constructor(
    private readonly ticketId: string,
    private readonly settings: TicketSettings,
    private readonly lifecycle: TicketLifecycle,
  ) {}

  /** Cancels the running work, if any (the ticket left the run's phase). Agents are stopped. */
  cancel(): void {
    this.scope?.cancel();
  }

  /** Marks the plan stale: dependencies are re-read before the next task starts. */
  tasksChanged(): void {
    this.planStale = true;
  }

  /**
   * Cancels one task of the run being worked: a running one is stopped, a pending one will not
   * start. The run then fails with the reason.
   *
   * @returns false when the run has no such task still pending or running
   */
  cancelTask(taskId: string, reason: string): boolean {
    const task = this.tasks.find((candidate) => candidate.id === taskId);
    if (!task || (task.status !== TaskStatus.PENDING && task.status !== TaskStatus.RUNNING)) return false;
    this.cancelRequests.set(taskId, reason);
    this.taskScopes.get(taskId)?.cancel();
    return true;
  }

  /**
   * Whether the run suspended by the last {@link work} may be resumed in a new workflow run: no
   * task of it was cancelled on request since (that request lives only in this workflow run, so
   * the run must be worked again here for it to take effect).
   */
  get resumable(): boolean {
    return this.suspendedRun !== undefined && this.cancelRequests.size === 0;
  }

  /**
   * Works `run` to its end: tasks, artifacts, gate, context. A run whose gate already passed (it
   * was unblocked by new artifacts) only updates the context. Returns `suspended` (issue 8 §1)
   * when the history is due to continue as new while every running task waits for a resource.
   */
  async work(run: PhaseRun): Promise<WorkOutcome> {
    const ref: PhaseRunRef = { ticketId: this.ticketId, phase: run.phase, entry: run.entry };
    const scope = new CancellationScope();
    this.scope = scope;
    // Cancel requests made while the run was suspended are kept for its resumption.
    const resuming = this.suspendedRun === run;
    this.suspendedRun = undefined;
    try {
      return await scope.run(async () => {
        if (run.gate.status !== 'passed') {
          this.lifecycle.recordGate('pending');
          if (!resuming) this.cancelRequests.clear();
          run.step = 'generating_tasks';
          // A resumed run retries what did not complete.
          this.tasks = (await bookkeeping.generateTasks(ref)).map((task) =>
            task.status === TaskStatus.COMPLETED ? task : { ...task, status: TaskStatus.PENDING },
          );
          run.step = 'running_tasks';
          const failure = await this.runTasks(ref, this.tasks);
          if (failure === 'cancelled') return { kind: 'interrupted' };
          if (failure === SUSPENDED) {
            this.suspendedRun = run;
            return { kind: 'suspended' };
          }
          if (failure) return { kind: 'failed', cause: 'task', reason: failure };
          if (this.tasks.length === 0 && !this.settings.gatedPhases.includes(run.phase)) {
            this.lifecycle.recordGate('passed');
          } else {
            const verdict = await this.validateWithRetries(ref, run);
            if (verdict.status === 'failed') return gateFailure(run, verdict);
          }
        }
        if (this.tasks.length > 0) {
          run.step = 'updating_context';
          await bookkeeping.updateContext(ref);
        }
        run.step = 'complete';
        return { kind: 'passed' };
      });
    } catch (error) {
      // Interrupted when only this work was cancelled; a cancelled workflow propagates.
      if (isCancellation(error) && !CancellationScope.current().consideredCancelled) return { kind: 'interrupted' };
      throw error;
    } finally {
      this.scope = undefined;
      // Every task has stopped by now: a later work or gate re-check starts unsuspended.
      this.suspending = false;
      if (run.step !== 'complete' && this.suspendedRun !== run) run.step = 'failed';
    }
  }

  /** One gate validation of `run` now (a blocked ticket's re-check after new artifacts). */
  async validate(run: PhaseRun): Promise<GateVerdict> {
    return this.validateOnce({ ticketId: this.ticketId, phase: run.phase, entry: run.entry }, run);
  }

  private async validateWithRetries(ref: PhaseRunRef, run: PhaseRun): Promise<GateVerdict> {
    for (let retry = 0; ; retry++) {
      const verdict = await this.validateOnce(ref, run);
      if (verdict.status === 'passed' || retry >= this.settings.gateRetries) return verdict;
      await sleep(this.settings.gateRetryDelayMs);
    }
  }

  /**
   * One gate round: collect the artifacts, let the validation agent review them where enabled,
   * validate. Patched (issue 8 §2): the collection runs inside the round's first activity
   * (`planValidationTask`, else `validateGate`) instead of an activity of its own.
   */
  private async validateOnce(ref: PhaseRunRef, run: PhaseRun): Promise<GateVerdict> {
    run.step = 'collecting_artifacts';
    let collect = patched(FAST_TRANSITIONS_PATCH);
    if (!collect) await bookkeeping.collectArtifacts(ref);
    run.step = 'validating_gate';
    if (this.settings.validationPhases.includes(ref.phase)) {
      const review = await bookkeeping.planValidationTask(collect ? { ...ref, collectArtifacts: true } : ref);
      collect = false;
      // Its failure is the validation agent's opinion: validateGate reports it as a blocking reason.
      await this.runTask(review);
    }
    const attempt = ++run.gateRounds;
    const verdict = await bookkeeping.validateGate(collect ? { ...ref, attempt, collectArtifacts: true } : { ...ref, attempt });
    this.lifecycle.recordGate(verdict.status, verdict.blockingReasons);
    return verdict;
  }

  /**
   * Runs `tasks` respecting dependencies and the parallel limit. After a failure no new task
   * starts; the running ones finish. While no task failed or was cancelled, the run may suspend
   * (see {@link suspendNow}): then no new task starts and the waiting ones stop.
   *
   * @returns undefined when all completed; `'cancelled'`; {@link SUSPENDED}; or the failure reasons
   */
  private async runTasks(ref: PhaseRunRef, tasks: PlannedTask[]): Promise<string | undefined> {
    const running = new Map<string, Promise<void>>();
    const failures: string[] = [];
    let cancelled = false;
    let suspended = false;
    this.suspendable = true;
    try {
      for (;;) {
        if (this.planStale) {
          this.planStale = false;
          const fresh = new Map((await bookkeeping.generateTasks(ref)).map((task) => [task.id, task.dependencies]));
          for (const task of tasks) task.dependencies = fresh.get(task.id) ?? task.dependencies;
        }
        if (failures.length === 0 && !cancelled && !this.suspending) {
          for (const task of runnableTasks(tasks, new Set(running.keys()))) {
            if (running.size >= this.settings.maxParallelTasks) break;
            const execution = this.runTask(task).then((failure) => {
              running.delete(task.id);
              if (failure === 'cancelled') cancelled = true;
              else if (failure === SUSPENDED) suspended = true;
              else if (failure) failures.push(failure);
              if (cancelled || failures.length > 0) this.suspendable = false;
            });
            running.set(task.id, execution);
          }
        }
        if (running.size === 0) break;
        await Promise.race(running.values());
      }
    } finally {
      this.suspendable = false;
    }
    if (cancelled) return 'cancelled';
    if (failures.length) return failures.join('; ');
    if (suspended) return SUSPENDED;
    const stuck = unreachableTasks(tasks);
    return stuck.length ? stuck.join('; ') : undefined;
  }

  /**
   * Executes one task; never throws. A task whose resource wait stopped because the run suspends
   * is pending again and gets no outcome recorded.
   *
   * @returns undefined on success; `'cancelled'` when the phase work was cancelled;
   *   {@link SUSPENDED}; else the failure reason (a failed task, or one cancelled on request)
   */
  private async runTask(task: PlannedTask): Promise<string | undefined> {
    const scope = new CancellationScope();
    this.taskScopes.set(task.id, scope);
    task.status = TaskStatus.RUNNING;
    try {
      if (this.cancelRequests.has(task.id)) scope.cancel();
      if ((await scope.run(() => this.execute(task))) === SUSPENDED) {
        task.status = TaskStatus.PENDING;
        return SUSPENDED;
      }
      task.status = TaskStatus.COMPLETED;
      return undefined;
    } catch (error) {
      const cancelled = isCancellation(error);
      const requested = this.cancelRequests.get(task.id);
      const reason = !cancelled
        ? `task ${task.taskType} failed: ${error instanceof ExecutionsFailed ? error.message : describeFailure(error, 1)}`
        : requested !== undefined
          ? `task ${task.taskType} cancelled: ${requested}`
          : `task ${task.taskType} cancelled: the ticket left the phase`;
      task.status = cancelled ? TaskStatus.CANCELLED : TaskStatus.FAILED;
      await CancellationScope.nonCancellable(() =>
        bookkeeping.recordTaskOutcome({ taskId: task.id, status: task.status as 'failed' | 'cancelled', error: reason }),
      );
      return cancelled && requested === undefined ? 'cancelled' : reason;
    } finally {
      this.taskScopes.delete(task.id);
    }
  }

  /**
   * Executes `task` until it completes. Each attempt is routed afresh (`routeTask`: the best-fit
   * healthy registered agent, else the built-in backend), so a retry after an agent died goes
   * elsewhere; retryable failures are retried with exponential backoff up to the ticket's limit.
   * While another task holds a resource it needs, it tries again after waits doubling up to
   * `settings.resourceWait.maxMs` (issue 8 §1: each try costs a fixed number of history events,
   * see `ResourceWaitSettings` in src/ticket/settings.ts), unless the run suspends meanwhile
   * ({@link waitForResource}), which bounds the events of one workflow run whatever the wait's length.
   *
   * @returns {@link SUSPENDED} when the wait stopped because the run suspends, else undefined (completed)
   * @throws ExecutionsFailed after a permanent failure or the last attempt; a cancellation as is
   */
  private async execute(task: PlannedTask): Promise<typeof SUSPENDED | undefined> {
    const { maximumAttempts, initialIntervalMs, maximumIntervalMs } = this.settings.taskRetry;
    const resourceWait = this.settings.resourceWait ?? DEFAULT_RESOURCE_WAIT;
    let busyRounds = 0;
    for (let attempt = 1; ; attempt++) {
      const agent = await bookkeeping.routeTask({ taskId: task.id });
      try {
        // The orchestrator's own tasks (issue 9: verify, integrate) run their activity instead of an agent.
        await this.executor(agent, task.taskType)[agent.activity ?? 'executeTask']({ taskId: task.id });
        return;
      } catch (error) {
        if (isCancellation(error)) throw error;
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === RESOURCE_BUSY) {
          // Another task holds a resource this one needs: wait for it, without spending an attempt.
          attempt--;
          if (await this.waitForResource(task, Math.min(resourceWait.initialMs * 2 ** busyRounds++, resourceWait.maxMs))) return SUSPENDED;
          continue;
        }
        if (!isRetryable(error) || attempt >= maximumAttempts) throw new ExecutionsFailed(error, attempt);
        await sleep(Math.min(initialIntervalMs * 2 ** (attempt - 1), maximumIntervalMs));
      }
    }
  }

  /**
   * One resource wait of `task` (it has no activity in flight): `waitMs`, unless the run suspends
   * before it begins, when it ends (both checked by {@link suspendNow}) or while it lasts (another
   * waiter suspended it: the timer is cancelled at once, so none is left behind).
   *
   * @returns whether the run suspends (the task must stop without an outcome)
   */
  private async waitForResource(task: PlannedTask, waitMs: number): Promise<boolean> {
    if (this.suspendNow()) return true;
    this.resourceWaiters.add(task.id);
    try {
      // Without a suspension this is one timer, the same command as the `sleep` it replaces.
      await condition(() => this.suspending, waitMs);
    } finally {
      this.resourceWaiters.delete(task.id);
    }
    return this.suspendNow();
  }

  /**
   * Whether the run suspends now (issue 8 §1), asked by a task in a resource wait with no activity
   * in flight. It does, and wakes every sleeping waiter, when the run's tasks are running with none
   * failed or cancelled, every other executing task is asleep in a resource wait too (so no
   * activity is abandoned: a task in flight or in a retry backoff keeps the run going), no task
   * cancellation is pending, and the history is due to continue as new ({@link continueAsNewDue});
   * behind {@link RESOURCE_WAIT_SUSPEND_PATCH}, so histories recorded before it replay.
   */
  private suspendNow(): boolean {
    if (this.suspending) return true;
    if (!this.suspendable || this.resourceWaiters.size + 1 < this.taskScopes.size || this.cancelRequests.size > 0) return false;
    if (!continueAsNewDue(this.settings) || !patched(RESOURCE_WAIT_SUSPEND_PATCH)) return false;
    this.suspending = true;
    return true;
  }

  /** The executeTask activity for one attempt on the assignment's queue, with its timeouts. */
  private executor(agent: AgentAssignment, taskType: string) {
    return proxyActivities<TicketActivities>({
      startToCloseTimeout: agent.timeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs > 0 ? agent.heartbeatTimeoutMs : undefined,
      // An agent process (command or coding-agent CLI) is confirmed killed before the workflow moves on.
      cancellationType: agent.type === 'http' ? ActivityCancellationType.TRY_CANCEL : ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: 1 },
      // A registered agent that died leaves its queue unpolled: give up waiting and route again.
      scheduleToStartTimeout: agent.taskQueue ? REGISTERED_AGENT_PICKUP_MS : undefined,
      taskQueue: agent.taskQueue ?? agentTaskQueue(workflowInfo().taskQueue),
      summary: `${taskType} via ${agent.name}`,
    });
  }
}
