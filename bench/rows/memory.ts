/**
 * Row: resident memory (VmRSS of /proc/<pid>/status) with the idle open tickets stored: the
 * project's worker and API, which run in ONE process (src/stack.ts), vs the bare worker process;
 * and the Temporal dev server, which serves both sides (shared, no ratio).
 */
import type { BenchContext } from '../context';
import { rssMiB } from '../processes';
import { metric, type BenchRow } from '../report';

/** Reads the memory of the three processes now. */
export function memoryRow(context: BenchContext, openTickets: number): BenchRow {
  const { pids } = context.stack;
  const devServer = pids.devServer === undefined ? Number.NaN : (rssMiB(pids.devServer) ?? Number.NaN);
  return {
    id: 'memory',
    title: `RSS with ${openTickets} idle open tickets per side`,
    n: openTickets,
    concurrency: 0,
    metrics: [
      metric('worker+API', 'MiB', rssMiB(pids.projectStack) ?? Number.NaN, rssMiB(pids.bareWorker) ?? Number.NaN),
      metric('dev server', 'MiB', devServer, null),
    ],
    failures: { project: 0, bare: 0 },
    notes: ['the project worker and API run in one process (src/stack.ts); bare: its worker process alone; the dev server holds both sides'],
  };
}
