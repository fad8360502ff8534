/** Row: `GET /tickets/:id/state` (the workflow query behind the API) vs the bare query, one client. */
import type { CreatedTicket } from '../clients';
import type { BenchContext } from '../context';
import { runLoad } from '../load';
import { latencyRow, type BenchRow } from '../report';

/** Makes `count` state requests per side, one at a time, cycling over `tickets` and `bareIds`. */
export async function queryRow(context: BenchContext, count: number, tickets: CreatedTicket[], bareIds: string[]): Promise<BenchRow> {
  const title = 'GET /tickets/:id/state vs bare query, 1 client';
  context.say(`${title}: ${count} per side`);
  const bare = await runLoad(count, 1, (index) => context.bare.state(bareIds[index % bareIds.length]!));
  const project = await runLoad(count, 1, (index) => context.project.state(tickets[index % tickets.length]!.id));
  return latencyRow('query', title, 1, project, bare);
}
