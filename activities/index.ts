/**
 * The orchestrator's activities, built around injected dependencies (a Prisma client) so the
 * worker passes the real one and tests their own. Workflows import the *type* only.
 */
import type { PrismaClient } from '@prisma/client';
import { createRecordTransition } from './record-transition';

/** Every activity the ticket workflow calls, keyed by activity name. */
export function createActivities(prisma: PrismaClient) {
  return {
    recordTransition: createRecordTransition(prisma),
  };
}

/** The activity interface workflows proxy (`proxyActivities<TicketActivities>`). */
export type TicketActivities = ReturnType<typeof createActivities>;
