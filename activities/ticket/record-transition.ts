/**
 * The `recordTransition` activity (seed 002, Stream E: `transition_ticket` records history; seed
 * 003, sub-tasks E2/E4): a thin adapter over the ticket store's {@link storeTransition}.
 */
import type { PrismaClient } from '@prisma/client';
import type { RecordTransitionInput, TicketActivities } from '../../src/ticket/contracts';
import { recordTransition as storeTransition } from '../../src/ticket/store';
import { asActivity } from '../failures';

/**
 * Builds the `recordTransition` activity. Idempotent and order-safe (see the store).
 *
 * @returns `{ applied }`: whether the ticket row moved to this record (false when a later
 *   transition was already written).
 * @throws ApplicationFailure `TicketNotFound` (non-retryable) when the ticket row does not exist.
 */
export function createRecordTransition(prisma: PrismaClient): TicketActivities['recordTransition'] {
  return async function recordTransition(input: RecordTransitionInput): Promise<{ applied: boolean }> {
    return asActivity(() => storeTransition(prisma, input));
  };
}
