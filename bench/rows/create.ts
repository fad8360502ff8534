/**
 * Row: ticket creation (POST /tickets, manual policy) vs a bare workflow start. A created ticket
 * works its BACKLOG phase run (tasks, gate, context) after it answers; that work is awaited after
 * the row, so that it does not run into the next.
 */
import type { CreatedTicket } from '../clients';
import type { BenchContext } from '../context';
import { runLoad } from '../load';
import { latencyRow, type BenchRow } from '../report';
import { settleProject } from '../settle';

/** What a creation row leaves behind for the rows that follow. */
export interface Created {
  row: BenchRow;
  /** The project tickets created (failed creations left out), in BACKLOG, manual policy. */
  tickets: CreatedTicket[];
  /** The bare workflow IDs started. */
  bareIds: string[];
}

/**
 * Creates `count` tickets and starts `count` bare workflows with `concurrency` clients (bare
 * first). `label` names the tickets and workflows (`bench <label> <i>`, `bare-<label>-<i>`).
 */
export async function createRow(context: BenchContext, id: string, title: string, label: string, count: number, concurrency: number): Promise<Created> {
  context.say(`${title}: ${count} per side`);
  const bareIds = Array.from({ length: count }, (_, index) => `bare-${label}-${index}`);
  const started: boolean[] = [];
  const bare = await runLoad(count, concurrency, async (index) => {
    await context.bare.start(bareIds[index]!);
    started[index] = true;
  });
  const created: (CreatedTicket | undefined)[] = [];
  const project = await runLoad(count, concurrency, async (index) => {
    created[index] = await context.project.createTicket(`bench ${label} ${index}`, 'manual');
  });
  const tickets = created.filter((ticket): ticket is CreatedTicket => ticket !== undefined);
  const unsettled = await settleProject(
    context,
    tickets.map((ticket) => ticket.id),
  );
  return {
    row: latencyRow(id, title, concurrency, project, bare, unsettled ? [unsettled] : []),
    tickets,
    bareIds: bareIds.filter((_, index) => started[index]),
  };
}
