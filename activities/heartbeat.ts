/**
 * Heartbeats for an activity's steps that report no progress of their own (issue 9: syncing a
 * ticket's working tree or pushing a commit, which may wait for the machine's clone lock), so a
 * wait longer than the heartbeat timeout is not taken for a dead worker.
 */
import { Context } from '@temporalio/activity';

/**
 * Runs `work`, heartbeating `details` at once and then every `intervalMs` until it settles.
 *
 * @returns what `work` returns; @throws what it throws
 */
export async function whileHeartbeating<T>(intervalMs: number, details: unknown, work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
