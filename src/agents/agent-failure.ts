/**
 * Failures of an agent execution, classified (seed 004, milestone 1.2: "error categorization"):
 * permanent ones (bad input, permission, protocol violations, a declared non-retryable failure)
 * must not be retried; transient ones (a crashed or killed process, an unreachable service) are.
 * The execute-task activity turns them into Temporal ApplicationFailures of the same type.
 */

/** Failure type names (ApplicationFailure.type), for logs, the task's `error` and retry policy. */
export const AgentFailureType = {
  /** The process crashed, was killed or exited non-zero without a result (transient). */
  PROCESS_FAILED: 'AgentProcessFailed',
  /** The process exited with a sysexits code (64–78): bad input, permission, configuration (permanent). */
  REJECTED_TASK: 'AgentRejectedTask',
  /** The agent answered something that is not a protocol result (permanent). */
  PROTOCOL_ERROR: 'AgentProtocolError',
  /** The agent reported `status: "failed"`; retryable unless it said `retryable: false`. */
  TASK_FAILED: 'AgentTaskFailed',
  /** The agent could not be reached: missing executable (permanent), HTTP 4xx (permanent), network or 5xx (transient). */
  UNAVAILABLE: 'AgentUnavailable',
  /** No configured backend has every capability the task requires (permanent). */
  NO_BACKEND: 'NoAgentForCapabilities',
} as const;

/** One of the {@link AgentFailureType} values. */
export type AgentFailureType = (typeof AgentFailureType)[keyof typeof AgentFailureType];

/** A classified agent failure. */
export class AgentFailure extends Error {
  constructor(
    message: string,
    readonly type: AgentFailureType,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'AgentFailure';
  }
}

/** sysexits.h codes (EX_USAGE 64 … EX_CONFIG 78): the agent refuses the task; retrying cannot help. */
export function isPermanentExitCode(code: number): boolean {
  return code >= 64 && code <= 78;
}
