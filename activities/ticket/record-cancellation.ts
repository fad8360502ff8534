/**
 * The `recordCancellation` activity (seed 004, milestone 1.4: "tasks can be cancelled via API;
 * resources cleaned up"): the ticket's cancellation persisted by the ticket store (ticket
 * `cancelled`, open tasks cancelled, their locks released), then the ticket's workspace removed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { CancellationRecord, TicketActivities } from '../../src/ticket/contracts';
import { recordCancellation as storeCancellation } from '../../src/ticket/store';

/**
 * Builds the `recordCancellation` activity. Idempotent: plain updates of the same values, and
 * removing a workspace that is gone is a no-op.
 *
 * @param workspacesDir the directory of the per-ticket workspaces
 */
export function createRecordCancellation(prisma: PrismaClient, workspacesDir: string): TicketActivities['recordCancellation'] {
  return async function recordCancellation(record: CancellationRecord): Promise<void> {
    await storeCancellation(prisma, record);
    await rm(path.join(workspacesDir, record.ticketId), { recursive: true, force: true });
  };
}
