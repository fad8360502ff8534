/**
 * The benchmark's results: one {@link BenchRow} per measurement, each with metrics for the project
 * and the bare baseline and their ratio project/bare; printed as a table that fits 120 columns and
 * written as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LatencySummary } from './load';

/** One figure of a row. */
export interface Metric {
  /** e.g. `p99`, `tickets per min`, `worker+API`. */
  name: string;
  /** e.g. `ms`, `MiB`, or empty when the name says it. */
  unit: string;
  project: number;
  /** `null` only for a shared figure (the dev server serves both sides). */
  bare: number | null;
  /** project / bare; `null` when bare is null or 0. */
  ratio: number | null;
}

/** One row: what was measured, its size, its figures and failures. */
export interface BenchRow {
  /** Stable identifier, e.g. `transition-32`. */
  id: string;
  /** What it compares, e.g. `transition REST vs bare update, 32 clients`. */
  title: string;
  /** Requests (or tickets) per side. */
  n: number;
  /** Concurrent clients. */
  concurrency: number;
  metrics: Metric[];
  failures: { project: number; bare: number };
  /** Latency summaries when the row is a latency row. */
  project?: LatencySummary;
  bare?: LatencySummary;
  /** Failure messages, and anything worth knowing about the row. */
  notes: string[];
  /** The machine's 1-minute load average when the row started (other processes share the cores). */
  loadAverage1m?: number;
}

/** The whole result, as written to JSON. */
export interface BenchResult {
  startedAt: string;
  mode: 'quick' | 'full';
  durationS: number;
  environment: Record<string, unknown>;
  rows: BenchRow[];
}

/** A metric with its ratio. */
export function metric(name: string, unit: string, project: number, bare: number | null): Metric {
  return { name, unit, project, bare, ratio: bare === null || bare === 0 ? null : project / bare };
}

/** The p50/p90/p99 metrics of two latency summaries. */
export function latencyMetrics(project: LatencySummary, bare: LatencySummary): Metric[] {
  return (['p50', 'p90', 'p99'] as const).map((name) => metric(name, 'ms', project[name], bare[name]));
}

/** A latency row. */
export function latencyRow(id: string, title: string, concurrency: number, project: LatencySummary, bare: LatencySummary, notes: string[] = []): BenchRow {
  const failureNotes = [
    ...project.failureSamples.map((message) => `project failure: ${message}`),
    ...bare.failureSamples.map((message) => `bare failure: ${message}`),
  ];
  return {
    id,
    title,
    n: project.count,
    concurrency,
    metrics: latencyMetrics(project, bare),
    failures: { project: project.failures, bare: bare.failures },
    project,
    bare,
    notes: [...notes, ...failureNotes],
  };
}

const format = (value: number | null) => {
  if (value === null || Number.isNaN(value)) return '-';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
};
const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

/**
 * The table (≤ 120 columns): one line per metric, the row's title, size (requests × clients),
 * failures (project/bare) and the 1-minute load average at its start on its first line.
 */
export function formatTable(result: BenchResult): string {
  const header = `${cut('row', 50)} ${cut('n×c', 9)} ${cut('metric', 16)} ${'project'.padStart(9)} ${'bare'.padStart(9)} ${'ratio'.padStart(7)} ${'fail p/b'.padStart(9)} ${'load'.padStart(4)}`;
  const lines = [header, '-'.repeat(header.length)];
  for (const row of result.rows) {
    row.metrics.forEach((m, index) => {
      const first = index === 0;
      lines.push(
        [
          cut(first ? row.title : '', 50),
          cut(first ? `${row.n}×${row.concurrency}` : '', 9),
          cut(`${m.name} ${m.unit}`.trim(), 16),
          format(m.project).padStart(9),
          (m.bare === null ? 'shared' : format(m.bare)).padStart(9),
          (m.ratio === null ? '-' : `${m.ratio.toFixed(2)}×`).padStart(7),
          (first ? `${row.failures.project}/${row.failures.bare}` : '').padStart(9),
          (first && row.loadAverage1m !== undefined ? row.loadAverage1m.toFixed(1) : '').padStart(4),
        ].join(' '),
      );
    });
  }
  return lines.join('\n');
}

/** Writes `result` as JSON to `file` (directories created). */
export function writeResult(result: BenchResult, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}
