/**
 * The `recordCancellation` activity (seed 004, milestone 1.4: "tasks can be cancelled via API;
 * resources cleaned up"): the ticket's cancellation persisted by the ticket store (ticket
 * `cancelled`, open tasks cancelled, their locks released), then the ticket's workspace removed
 * (for a ticket with a repository its git working tree, and its branch unless the repository keeps branches).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { CancellationRecord, TicketActivities } from '../../src/ticket/contracts';
import { recordCancellation as storeCancellation } from '../../src/ticket/store';
import type { TicketTrees } from '../../src/repositories/ticket-trees';
import { agentRecordsDir } from '../../src/agents/agent-processes';

/**
 * Builds the `recordCancellation` activity. Idempotent: plain updates of the same values, and
 * removing a workspace that is gone is a no-op.
 *
 * @param workspacesDir the directory of the per-ticket workspaces
 * @param trees the tickets' git working trees on this machine (issue 9)
 */
export function createRecordCancellation(prisma: PrismaClient, workspacesDir: string, trees: TicketTrees): TicketActivities['recordCancellation'] {
  return async function recordCancellation(record: CancellationRecord): Promise<void> {
    await storeCancellation(prisma, record);
    // A ticket's git working tree leaves its clone's worktree list too (issue 9); the branch stays unless configured otherwise.
    await trees.remove(record.ticketId);
    await Promise.all(
      [path.join(workspacesDir, record.ticketId), agentRecordsDir(workspacesDir, record.ticketId)].map((dir) => rm(dir, { recursive: true, force: true })),
    );
  };
}
