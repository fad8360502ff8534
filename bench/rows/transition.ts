/**
 * Row: the transition round trip, BACKLOG→REQUIREMENTS over REST on distinct manual tickets, vs
 * the bare update (one activity writing one row) on distinct bare workflows. The project's phase
 * work the transitions start is awaited after the row, so that it does not run into the next.
 * Also counts the history events one transition adds (for the project, with the phase run it
 * starts: REQUIREMENTS tasks, agents, gate, context), and notes the event timeline of each side's
 * slowest request.
 */
import type { CreatedTicket } from '../clients';
import type { BenchContext } from '../context';
import { historyLength, timeline } from '../history';
import { runLoad } from '../load';
import { latencyRow, metric, type BenchRow } from '../report';
import { settleProject } from '../settle';

/** The phase every measured transition moves to. */
export const TARGET_PHASE = 'PHASE_REQUIREMENTS';

/** Transitions each of `tickets` and each of `bareIds` once, `concurrency` at a time (bare first). */
export async function transitionRow(
  context: BenchContext,
  id: string,
  title: string,
  concurrency: number,
  tickets: CreatedTicket[],
  bareIds: string[],
): Promise<BenchRow> {
  context.say(`${title}: ${tickets.length} per side`);
  // History events one transition adds (for the project: with the phase work it starts), on the first of each side.
  const sampled = { project: tickets[0]?.workflowId ?? '', bare: bareIds[0] ?? '' };
  const { temporal } = context.stack;
  const before = { project: await historyLength(temporal, sampled.project), bare: await historyLength(temporal, sampled.bare) };
  const bare = await runLoad(bareIds.length, concurrency, (index) => context.bare.transition(bareIds[index]!, TARGET_PHASE));
  const project = await runLoad(tickets.length, concurrency, (index) => context.project.transition(tickets[index]!.id, TARGET_PHASE));
  const unsettled = await settleProject(
    context,
    tickets.map((ticket) => ticket.id),
  );
  // Where the slowest request of each side spent its time, from its own workflow's history.
  const slowest: string[] = [];
  if (project.slowest) {
    const events = await timeline(temporal, tickets[project.slowest.index]!.workflowId, project.slowest.sentAtMs);
    slowest.push(`slowest project (${Math.round(project.slowest.latencyMs)} ms): ${events}`);
  }
  if (bare.slowest) {
    const events = await timeline(temporal, bareIds[bare.slowest.index]!, bare.slowest.sentAtMs);
    slowest.push(`slowest bare (${Math.round(bare.slowest.latencyMs)} ms): ${events}`);
  }
  const row = latencyRow(id, title, concurrency, project, bare, [...(unsettled ? [unsettled] : []), ...slowest]);
  const after = { project: await historyLength(temporal, sampled.project), bare: await historyLength(temporal, sampled.bare) };
  row.metrics.push(metric('history', 'events', after.project - before.project, after.bare - before.bare));
  return row;
}
