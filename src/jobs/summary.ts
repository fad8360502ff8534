/**
 * The main job's summary: a table (one row per ticket, phases as a compact path, the ticket's
 * branch, its commits and whether it was merged: issue 9; the tokens and cost of its agent
 * executions: issue 10) and a totals line for the terminal, and the full reports (titles, every
 * blocked reason and reviewer action, errors, usage) as a JSON details file. Issue 8, section 6.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { UsageTotals } from '../agents/executions';
import { Phase } from '../ticket/phases';
import type { TicketRunReport } from './drive-tickets';

/** One letter per phase in the compact path column. */
const PHASE_LETTER: Record<Phase, string> = {
  [Phase.BACKLOG]: 'B',
  [Phase.REQUIREMENTS]: 'R',
  [Phase.DESIGN]: 'D',
  [Phase.IMPLEMENTATION]: 'I',
  [Phase.TESTING]: 'T',
  [Phase.DEPLOYMENT]: 'P',
  [Phase.DONE]: '✓',
  [Phase.BLOCKED]: 'X',
};

/** The legend printed under the table: the path letters, and what the tasks and gates cells count. */
export const PATH_LEGEND =
  'path: B backlog, R requirements, D design, I implementation, T testing, P deployment, X blocked, ✓ done; tasks: done (executions); gates: ok/no';

/** Widest text of the result column (an error message is clipped to it; the details file has it whole). */
const RESULT_WIDTH = 14;

/** Columns of the table, in order, with their headers. */
const COLUMNS = [
  'ticket',
  'path',
  'moves',
  'tasks',
  'gates',
  'blocks',
  'ctx tok',
  'branch',
  'commits',
  'merged',
  'tokens',
  'cost',
  'wall s',
  'result',
] as const;

/** One row of the table: a cell per column. */
export type SummaryRow = Record<(typeof COLUMNS)[number], string>;

const clip = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

/** A token count in at most 6 characters: `950`, `12.3k`, `4.56M`. */
export function compactTokens(tokens: number): string {
  if (tokens < 1000) return String(tokens);
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(tokens < 100_000 ? 1 : 0)}k`;
  return `${(tokens / 1_000_000).toFixed(2)}M`;
}

/** A cost in USD to 4 decimals (`$0.0123`), or `-` when no execution had one (`usage` absent or without cost sources). */
export function costCell(usage: UsageTotals | undefined): string {
  return usage?.costSources.length ? `$${usage.costUsd.toFixed(4)}` : '-';
}

/** `BRDITP✓`: the phases a ticket visited, one letter each. */
export function compactPath(phases: Phase[]): string {
  return phases.map((phase) => PHASE_LETTER[phase]).join('');
}

/** The table's rows: short cells only (the long text goes to the details file). */
export function summaryRows(reports: TicketRunReport[]): SummaryRow[] {
  return reports.map((report) => ({
    ticket: report.externalId,
    path: compactPath(report.phasesVisited),
    moves: String(report.transitions),
    tasks: `${report.tasksCompleted} (${report.taskExecutions})`,
    gates: `${report.gatesPassed}/${report.gatesFailed}`,
    blocks: String(report.interventions.length),
    'ctx tok': String(report.contextTokens),
    branch: report.branch ?? '-',
    commits: report.commits === undefined ? '-' : String(report.commits),
    merged: report.merged ? 'yes' : 'no',
    tokens: report.usage ? compactTokens(report.usage.inputTokens + report.usage.outputTokens) : '-',
    cost: costCell(report.usage),
    'wall s': (report.wallMs / 1000).toFixed(1),
    result: report.error ? clip(report.error, RESULT_WIDTH) : report.finalPhase.replace('PHASE_', ''),
  }));
}

/** The table as lines: a header and a row per ticket, columns aligned and two spaces apart. */
export function summaryTable(reports: TicketRunReport[]): string[] {
  const rows = summaryRows(reports);
  const width = (column: (typeof COLUMNS)[number]) => Math.max(column.length, ...rows.map((row) => [...row[column]].length));
  const line = (cells: (column: (typeof COLUMNS)[number]) => string) =>
    COLUMNS.map((column) => cells(column) + ' '.repeat(width(column) - [...cells(column)].length))
      .join('  ')
      .trimEnd();
  return [line((column) => column), ...rows.map((row) => line((column) => row[column]))];
}

/** The totals line under the table. `wallMs`: the whole job's wall time, ms. */
export function totalsLine(reports: TicketRunReport[], wallMs: number): string {
  const sum = (pick: (report: TicketRunReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  const done = reports.filter((report) => report.finalPhase === Phase.DONE).length;
  const meanTokens = sum((report) => report.contextTokens) / Math.max(1, reports.length);
  const merged = reports.filter((report) => report.merged).length;
  const usage = (pick: (usage: UsageTotals) => number) => sum((report) => (report.usage ? pick(report.usage) : 0));
  const priced = reports.some((report) => report.usage?.costSources.length);
  const cost = priced ? `$${usage((u) => u.costUsd).toFixed(4)}` : 'no cost recorded';
  return [
    `${done}/${reports.length} tickets reached PHASE_DONE in ${(wallMs / 1000).toFixed(1)} s; ${sum((r) => r.transitions)} transitions;`,
    `${sum((r) => r.tasksCompleted)} tasks run (${sum((r) => r.taskExecutions)} executions); gates ${sum((r) => r.gatesPassed)} passed, ` +
      `${sum((r) => r.gatesFailed)} failed; ${sum((r) => r.interventions.length)} blocks; mean context summary ${meanTokens.toFixed(0)} tokens;`,
    `${merged} branches merged, ${sum((r) => r.commits ?? 0)} commits; ${usage((u) => u.executions)} agent executions used ` +
      `${compactTokens(usage((u) => u.inputTokens))} input and ${compactTokens(usage((u) => u.outputTokens))} output tokens, ${cost}`,
  ].join('\n');
}

/**
 * Writes every report in full to `<dir>/main-job-<ISO time>.json`.
 *
 * @returns the file's path
 * @throws the file system's error when `dir` cannot be created or written
 */
export async function writeDetails(dir: string, reports: TicketRunReport[], wallMs: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `main-job-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify({ wallMs, tickets: reports }, null, 2)}\n`);
  return file;
}
