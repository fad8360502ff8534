/**
 * `npm run bench [-- --quick] [--out file.json] [--data-dir dir] [--keep-data]`: the project
 * against a bare Temporal baseline, in one run (issue 8 section 3). Starts its own stack
 * (bench/stack.ts) under `<data-dir>/run-<timestamp>/` (default data dir `.data/bench`), runs every row (bench/rows/), prints the table with the ratio
 * project/bare per figure and writes the JSON (default `.data/bench/results-<timestamp>.json`).
 * Stops everything it started whatever happens (also on Ctrl-C); the run's data directory is
 * removed unless `--keep-data` or the run failed. Exit status 0 when every row was measured
 * (failed requests are reported in the rows, not in the status), 1 otherwise.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BareClient, ProjectClient } from './clients';
import { FULL_SIZES, QUICK_SIZES, type BenchContext } from './context';
import { formatTable, writeResult, type BenchResult, type BenchRow } from './report';
import { createRow } from './rows/create';
import { dispatchRow } from './rows/dispatch';
import { lifecycleRow } from './rows/lifecycle';
import { listRow } from './rows/list';
import { memoryRow } from './rows/memory';
import { queryRow } from './rows/query';
import { TARGET_PHASE, transitionRow } from './rows/transition';
import { settleProject } from './settle';
import { startBenchStack } from './stack';

const ROOT = path.resolve(__dirname, '..');
/** Requests per side before measuring (connections, JIT, workflow caches). */
const WARM_UP = 3;

const say = (line: string) => console.log(`[bench] ${line}`);

/** Version line of the Temporal CLI, if it answers. */
function temporalVersion(): string | undefined {
  try {
    return process.env.TEMPORAL_CLI ? execFileSync(process.env.TEMPORAL_CLI, ['--version'], { encoding: 'utf8' }).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Runs every row in order and returns them, each with the load average at its start. */
async function runRows(context: BenchContext): Promise<BenchRow[]> {
  const { sizes, project, bare } = context;
  const rows: BenchRow[] = [];
  let load = os.loadavg()[0];
  const push = (...measured: BenchRow[]) => {
    for (const row of measured) rows.push({ ...row, loadAverage1m: load });
    load = os.loadavg()[0];
  };
  const many = sizes.concurrency;

  say(`warming up (${WARM_UP} requests per side)`);
  const warm = await createRow(context, 'warm-up', 'warm-up', 'warm', WARM_UP, 1);
  await Promise.all(warm.bareIds.map((id) => bare.transition(id, TARGET_PHASE)));
  await Promise.all(warm.tickets.map((ticket) => project.transition(ticket.id, TARGET_PHASE)));
  await settleProject(
    context,
    warm.tickets.map((ticket) => ticket.id),
  );

  const lifecycle = await lifecycleRow(context);
  push(lifecycle.row, await dispatchRow(context, lifecycle.projectWorkflowIds, lifecycle.bareWorkflowIds));

  const one = await createRow(context, 'create-1', 'ticket creation vs bare workflow start, 1 client', 'one', sizes.oneClient, 1);
  push(one.row);
  const several = await createRow(context, `create-${many}`, `ticket creation vs bare workflow start, ${many} clients`, 'many', sizes.manyClients, many);
  push(several.row);
  push(await transitionRow(context, 'transition-1', 'transition REST vs bare update, 1 client', 1, one.tickets, one.bareIds));
  push(await transitionRow(context, `transition-${many}`, `transition REST vs bare update, ${many} clients`, many, several.tickets, several.bareIds));
  push(await queryRow(context, sizes.queries, [...one.tickets, ...several.tickets], [...one.bareIds, ...several.bareIds]));

  const open = warm.tickets.length + one.tickets.length + several.tickets.length;
  const topUp = Math.max(sizes.idleTransitions, sizes.openTickets - open);
  const idle = await createRow(context, 'create-bulk', `bulk creation to ${open + topUp} open tickets, ${many} clients`, 'idle', topUp, many);
  push(idle.row);
  push(await listRow(context, sizes.lists));
  const targets = idle.tickets.slice(-sizes.idleTransitions);
  const bareTargets = idle.bareIds.slice(-sizes.idleTransitions);
  push(await transitionRow(context, 'transition-idle', `transition, ${open + topUp} idle open tickets, ${many} clients`, many, targets, bareTargets));
  push(memoryRow(context, open + topUp));
  return rows;
}

/** Parses the arguments, runs the benchmark on its own stack, prints and writes the result; resolves with the exit status. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
    },
  });
  const mode = values.quick ? 'quick' : 'full';
  const sizes = values.quick ? QUICK_SIZES : FULL_SIZES;
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const benchDir = path.join(ROOT, '.data', 'bench');
  const dataDir = path.join(values['data-dir'] ? path.resolve(values['data-dir']) : benchDir, `run-${stamp}`);
  const out = values.out ? path.resolve(values.out) : path.join(benchDir, `results-${stamp}.json`);
  say(`${mode} run; sizes ${JSON.stringify(sizes)}`);

  const stack = await startBenchStack(dataDir, say);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stack.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the benchmark stack`);
      void stop().finally(() => process.exit(130));
    });
  }
  let ok = false;
  try {
    const context: BenchContext = { stack, project: new ProjectClient(stack.apiUrl), bare: new BareClient(stack.temporal, stack.pool), sizes, say };
    const rows = await runRows(context);
    const result: BenchResult = {
      startedAt: startedAt.toISOString(),
      mode,
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      environment: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), temporalCli: temporalVersion(), sizes },
      rows,
    };
    writeResult(result, out);
    console.log(`\n${formatTable(result)}\n`);
    for (const row of rows) for (const note of row.notes) console.log(`  ${row.id}: ${note}`);
    say(`results written to ${out} (${result.durationS.toFixed(0)} s)`);
    ok = true;
  } finally {
    say('stopping the benchmark stack');
    await stop();
    if (ok && !values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
    else say(`data and logs kept in ${dataDir}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
