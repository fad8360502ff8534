/**
 * Waiting for the project's background work to end between rows: a transition into REQUIREMENTS
 * starts that phase's work (tasks, agent runs, gate, context) after it answers, and a row measured
 * while the previous row's phase work still runs would measure both.
 */
import type { BenchContext } from './context';

/** Run steps after which a manual ticket's phase work is over. */
const SETTLED_STEPS = new Set(['complete', 'failed']);
/** Wait between polling rounds, ms. */
const POLL_INTERVAL_MS = 2000;
/** State requests in flight at once while polling. */
const POLL_CONCURRENCY = 8;

/**
 * Polls `GET /tickets/:id/state` of `ticketIds` until every phase run is complete or failed (or
 * the ticket is blocked), at most `sizes.settleTimeoutMs`.
 *
 * @returns undefined once settled, else a note saying how many were still working
 */
export async function settleProject(context: BenchContext, ticketIds: string[]): Promise<string | undefined> {
  const deadline = Date.now() + context.sizes.settleTimeoutMs;
  let working = [...ticketIds];
  const started = Date.now();
  while (working.length > 0) {
    const still: string[] = [];
    for (let start = 0; start < working.length; start += POLL_CONCURRENCY) {
      const batch = working.slice(start, start + POLL_CONCURRENCY);
      const states = await Promise.all(batch.map((id) => context.project.state(id).catch(() => undefined)));
      states.forEach((state, index) => {
        if (!state || !(SETTLED_STEPS.has(state.run.step) || state.phase === 'PHASE_BLOCKED')) still.push(batch[index]!);
      });
    }
    working = still;
    if (working.length === 0) break;
    if (Date.now() > deadline)
      return `${working.length} of ${ticketIds.length} tickets still worked their phase after ${context.sizes.settleTimeoutMs / 1000} s`;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  context.say(`  project phase work settled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return undefined;
}
