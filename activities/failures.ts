/**
 * Turns the stores' domain errors into the Temporal failures the workflow reads by type
 * (src/phase-work/contracts.ts): a missing row fails the activity for good, a busy resource is
 * retryable. Any other error stays as it is (retried by the activity's retry policy).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ResourceBusyError, RowNotFoundError } from '../src/phase-work/errors';

/** The failure an activity raises for `error`. */
function toActivityFailure(error: unknown): unknown {
  if (error instanceof RowNotFoundError) return ApplicationFailure.nonRetryable(error.message, error.failureType);
  if (error instanceof ResourceBusyError) return ApplicationFailure.retryable(error.message, error.failureType);
  return error;
}

/**
 * Runs a store call as an activity's body.
 *
 * @throws ApplicationFailure TicketNotFound / TaskNotFound (non-retryable), ResourceBusy (retryable);
 *   any other error of `work` as it is
 */
export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
