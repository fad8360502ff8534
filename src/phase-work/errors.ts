/**
 * Errors the phase-work stores and clients throw. The API maps {@link PhaseWorkError} to its
 * error body (src/api/errors.ts); activities turn {@link RowNotFoundError} and
 * {@link ResourceBusyError} into Temporal failures of the type each carries (activities/failures.ts).
 */
import { RESOURCE_BUSY } from './tasks';
import { TASK_NOT_FOUND, TICKET_NOT_FOUND } from './contracts';

/** Error codes of phase work, each with its meaning; the API maps them to HTTP statuses. */
export type PhaseWorkErrorCode =
  /** 404: no task with that ID. */
  | 'TASK_NOT_FOUND'
  /** 409: the task already finished (completed, failed or cancelled). */
  | 'TASK_NOT_CANCELLABLE'
  /** 404: no task template with that ID. */
  | 'TEMPLATE_NOT_FOUND'
  /** 409: a template for that phase and task type exists. */
  | 'TEMPLATE_EXISTS'
  /** 409: the task is not waiting for an agent's callback (not an http task, already answered, or a later attempt runs). */
  | 'TASK_NOT_AWAITING_CALLBACK'
  /** 409: the ticket has never entered that phase, so it has no run to work on. */
  | 'PHASE_NOT_ENTERED'
  /** 409: dependencies can be added only to a task that has not started (pending, failed or cancelled). */
  | 'TASK_NOT_PENDING'
  /** 422: a dependency is not a task of the same phase run. */
  | 'INVALID_DEPENDENCY'
  /** 422: the dependencies would form a cycle (`details.cycle` is its path). */
  | 'DEPENDENCY_CYCLE';

/** A refused phase-work request, with a machine-readable code and details. */
export class PhaseWorkError extends Error {
  constructor(
    readonly code: PhaseWorkErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A ticket or task row a store needs does not exist (permanent: retrying cannot create it). */
export class RowNotFoundError extends Error {
  constructor(
    /** Failure type an activity raises for it: `TicketNotFound` or `TaskNotFound`. */
    readonly failureType: typeof TICKET_NOT_FOUND | typeof TASK_NOT_FOUND,
    message: string,
  ) {
    super(message);
    this.name = 'RowNotFoundError';
  }
}

/** Another task holds a resource a task needs (transient: the workflow waits and tries again). */
export class ResourceBusyError extends Error {
  /** Failure type an activity raises for it. */
  readonly failureType = RESOURCE_BUSY;
  constructor(message: string) {
    super(message);
    this.name = 'ResourceBusyError';
  }
}
