/**
 * How a ticket's workflow works its phases: the policy, task parallelism, retries of agent tasks
 * and gates, and which phases are gated. Fixed when the workflow starts (workflow input), so a
 * replay always sees the same values. Pure module: no Node, Prisma or Temporal imports.
 * Seeds: 001/002 Streams F–H (phase work), 004 milestones 1.2 (retries with backoff) and 1.4.
 */
import type { Phase } from './phases';
import type { EscalationSettings } from './sla';

/** `auto`: move to the next phase of PHASE_SEQUENCE once the gate passes; `manual`: wait for a transition. */
export const TICKET_POLICIES = ['auto', 'manual'] as const;

/** One of {@link TICKET_POLICIES}. */
export type TicketPolicy = (typeof TICKET_POLICIES)[number];

/**
 * Retry policy of agent task executions: the ticket workflow itself retries a failed `executeTask`
 * (each execution is one activity attempt, `retry: { maximumAttempts: 1 }`, re-routed by
 * `routeTask` before the next), waiting with exponential backoff between executions.
 */
export interface TaskRetrySettings {
  /** Executions per task, including the first (≥ 1). */
  maximumAttempts: number;
  /** Delay before the first retry, ms. */
  initialIntervalMs: number;
  /** Backoff cap, ms. */
  maximumIntervalMs: number;
}

/**
 * Waiting for a resource another task holds (issue 8 §1): the waits between tries double from
 * `initialMs` up to `maxMs`. Each try costs a fixed number of history events (routeTask,
 * executeTask and a timer, with their workflow tasks: 17), so a wait of T ms costs at most
 * 17 × (⌈log2(maxMs / initialMs)⌉ + 1 + T / maxMs) events: with the defaults (1 s → 2 min) a
 * 6-hour wait costs at most 17 × 188 = 3,196 events. Past `continueAsNewAfterEvents` the ticket
 * continues as new inside the phase run while all its running tasks wait, so one workflow run
 * holds at most that threshold, one try (17 events) per waiting task and its 2 closing events, whatever T.
 */
export interface ResourceWaitSettings {
  /** First wait, ms (≥ 1). */
  initialMs: number;
  /** Longest wait, ms (≥ initialMs): also the longest delay between a release and the waiter's next try. */
  maxMs: number;
}

/** Settings of one ticket workflow. */
export interface TicketSettings {
  policy: TicketPolicy;
  /** Tasks of one phase run executed at the same time (≥ 1). */
  maxParallelTasks: number;
  taskRetry: TaskRetrySettings;
  /** Extra gate validations after a failed one before the ticket is blocked (≥ 0). */
  gateRetries: number;
  /** Wait before re-validating a failed gate (artifacts may still arrive), ms. */
  gateRetryDelayMs: number;
  /** Phases whose gate validation also asks the validation agent (seed 002, ValidationAgent). */
  validationPhases: Phase[];
  /**
   * Phases with a gate (requirements or a validation agent): a transition to the next phase of
   * PHASE_SEQUENCE is refused until the gate has passed. Other phases may be left at any time.
   */
  gatedPhases: Phase[];
  /**
   * Continue as new once the run's event history is longer than this many events (Temporal may
   * suggest it earlier): between phase runs, or inside one whose running tasks all wait for
   * resources (issue 8 §1). The ticket's state is carried over, so nothing is lost.
   */
  continueAsNewAfterEvents: number;
  /**
   * Backoff of a task waiting for a resource another task holds; absent in the input of tickets
   * started before it existed, which then use {@link DEFAULT_RESOURCE_WAIT}.
   */
  resourceWait?: ResourceWaitSettings;
  /**
   * SLAs per phase and the webhooks an overstay is sent to (issue 11, "Stalled tickets"); absent
   * in the input of tickets started before it existed, and when no SLA is configured: no timers.
   */
  escalation?: EscalationSettings;
}

/** Default backoff of a resource wait: 1 s doubling up to 2 minutes. */
export const DEFAULT_RESOURCE_WAIT: ResourceWaitSettings = { initialMs: 1000, maxMs: 120_000 };

/**
 * Defaults of the tunable settings (the configuration's env variables start from these): 4 tasks at
 * once, 3 executions per task (1 s → 30 s backoff), 1 gate re-check after 2 s, continue as new
 * after 10,000 events, resource waits 1 s → 2 min. The policy comes from each ticket; gated and
 * validation phases from the orchestrator configuration file.
 */
export const DEFAULT_TICKET_SETTINGS: Omit<TicketSettings, 'policy' | 'validationPhases' | 'gatedPhases'> = {
  maxParallelTasks: 4,
  taskRetry: { maximumAttempts: 3, initialIntervalMs: 1000, maximumIntervalMs: 30_000 },
  gateRetries: 1,
  gateRetryDelayMs: 2000,
  continueAsNewAfterEvents: 10_000,
  resourceWait: DEFAULT_RESOURCE_WAIT,
};
