/**
 * What the ticket workflow and the phase-work activities agree on (seed 001/002, Streams F–H):
 * the activities' inputs and outputs, the failure type names they raise, and the
 * {@link PhaseWorkActivities} interface the workflow proxies. Types and constants only: no Node,
 * Prisma or Temporal imports, so workflow code may import it.
 */
import type { Phase } from '../ticket/phases';
import type { GateStatus } from '../ticket/lifecycle';
import type { GateEvaluation } from './gates';
import type { PlannedTask, TaskStatus } from './tasks';

/** Identifies one run of a phase's work (see `PhaseRun` in src/ticket/lifecycle.ts). */
export interface PhaseRunRef {
  ticketId: string;
  phase: Phase;
  /** Sequence of the transition that began the run (0 before any transition). */
  entry: number;
}

/** Task type of the validation agent's review (seed 002, ValidationAgent); not part of the phase's own tasks. */
export const VALIDATION_TASK_TYPE = 'validate_phase';

/** Failure type of a missing ticket row (non-retryable). */
export const TICKET_NOT_FOUND = 'TicketNotFound';

/** Failure type of a missing task row (non-retryable). */
export const TASK_NOT_FOUND = 'TaskNotFound';

/** Input of the `validateGate` activity. */
export interface ValidateGateInput extends PhaseRunRef {
  /** 1-based validation round of the run for this validator; with the run and validator, the key of the result. */
  attempt: number;
  /** Who validates: `workflow` (default, the ticket workflow's rounds) or `api`; each numbers its rounds. */
  validatedBy?: string;
  /**
   * Collect the run's artifacts first, as the `collectArtifacts` activity does, so that a gate
   * round without a validation agent needs one activity less (issue 8 §2).
   */
  collectArtifacts?: boolean;
}

/** A persisted gate verdict. */
export interface GateVerdict extends GateEvaluation {
  status: Exclude<GateStatus, 'pending'>;
  attempt: number;
  /** The validation agent's opinion, when it reviewed this run. */
  validation: { approved: boolean; reasons: string[]; agent: string | null } | null;
}

/** Result of the `updateContext` activity. */
export interface ContextUpdate {
  /** The phase's context key, e.g. `requirements_phase`. */
  key: string;
  /** The summary handed to the next phase. */
  summary: string;
  /** Its size in cl100k_base tokens (≤ the budget). */
  summaryTokens: number;
}

/** Input of the `recordTaskOutcome` activity. */
export interface TaskOutcome {
  taskId: string;
  status: typeof TaskStatus.FAILED | typeof TaskStatus.CANCELLED;
  /** Why, e.g. "AgentProcessFailed: agent process 123 was killed by SIGKILL (attempt 3 of 3)". */
  error: string;
}

/**
 * The phase-work activities, keyed by activity name (implementations: activities/phase-work/).
 * Each is idempotent; the failures each raises are listed on its implementation.
 */
export interface PhaseWorkActivities {
  /** Creates (or returns) the run's tasks from the active templates. @throws TicketNotFound */
  generateTasks: (run: PhaseRunRef) => Promise<PlannedTask[]>;
  /**
   * Plans (or resets) the run's `validate_phase` task; with `collectArtifacts` it first collects the
   * run's artifacts as `collectArtifacts` does (one activity less per gate round, issue 8 §2).
   * @throws TicketNotFound
   */
  planValidationTask: (run: PhaseRunRef & { collectArtifacts?: boolean }) => Promise<PlannedTask>;
  /** Records that a task failed for good or was cancelled, and releases its resources. */
  recordTaskOutcome: (outcome: TaskOutcome) => Promise<void>;
  /** Stores the artifacts the run's completed tasks declared. @returns how many they declared */
  collectArtifacts: (run: PhaseRunRef) => Promise<{ collected: number }>;
  /** Validates the run's gate and persists the verdict (one per round). */
  validateGate: (input: ValidateGateInput) => Promise<GateVerdict>;
  /** Stores the run's context and refreshes the ticket's context and summary. @throws TicketNotFound */
  updateContext: (run: PhaseRunRef) => Promise<ContextUpdate>;
}
