/**
 * Row: `GET /tickets` (first page of 20, newest first, with the total) with every ticket of the run
 * stored, vs the bare `SELECT … ORDER BY created_at DESC LIMIT 20` with the total over `bench_list_rows`
 * filled to the same number of rows. The bare side is plain SQL (no HTTP, no workflow list): the
 * API reads this page from PostgreSQL too, so the ratio is what HTTP, Express, zod and Prisma add.
 */
import type { BenchContext } from '../context';
import { runLoad } from '../load';
import { latencyRow, type BenchRow } from '../report';

/** Makes `count` list requests per side, one at a time. */
export async function listRow(context: BenchContext, count: number): Promise<BenchRow> {
  const { total } = await context.project.list();
  await context.bare.fillListRows(total);
  const { total: bareTotal } = await context.bare.list();
  const title = `GET /tickets, ${total} stored, vs bare SELECT LIMIT`;
  context.say(`${title}: ${count} per side`);
  const bare = await runLoad(count, 1, () => context.bare.list());
  const project = await runLoad(count, 1, () => context.project.list());
  return latencyRow('list', title, 1, project, bare, [`project: ${total} tickets stored; bare: ${bareTotal} bench_list_rows rows`]);
}
