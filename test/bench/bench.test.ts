/**
 * `npm run bench -- --quick` works (issue 8 section 3): the quick benchmark runs end to end on its
 * own stack, writes JSON with every row, every figure a number for both sides (only the shared dev
 * server's memory has no bare figure), no failed request, and leaves no process behind. No timing
 * is asserted: speed is what the benchmark reports, not what a test checks.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchResult } from '../../bench/report';
import { testEnv } from '../helpers/env';

const ROOT = path.resolve(__dirname, '..', '..');
/** Every row the benchmark measures (issue 8 section 3). */
const ROWS = ['lifecycle', 'dispatch', 'create-1', 'create-32', 'transition-1', 'transition-32', 'query', 'create-bulk', 'list', 'transition-idle', 'memory'];
/** The quick run takes a minute or two alone; far longer on a loaded machine. */
const RUN_TIMEOUT_MS = 12 * 60_000;

/** Runs `node --import tsx bench/run.ts …args`; resolves with its exit code and output. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_CLI: testEnv.temporalCli() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output: chunks.join('') }));
  });
}

/** PIDs of live processes whose command line or environment mentions `text`. */
function processesMentioning(text: string): number[] {
  const mentions = (pid: string, file: string) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, 'utf8').includes(text);
    } catch {
      return false; // ended meanwhile, or not ours to read
    }
  };
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => mentions(entry, 'cmdline') || mentions(entry, 'environ'))
    .map(Number);
}

describe('npm run bench -- --quick', () => {
  let dir: string;

  beforeAll(() => {
    // Under the test data directory: embedded PostgreSQL, run as root, needs a path its user can traverse.
    dir = path.join(process.env.TEST_DATA_DIR ?? path.join(ROOT, '.data', 'test'), `bench-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'measures every row for the project and the bare baseline, with no failed request, and stops its stack',
    async () => {
      const out = path.join(dir, 'results.json');
      const { code, output } = await runBench(['--quick', '--out', out, '--data-dir', dir]);
      expect({ code, tail: code === 0 ? '' : output.slice(-4000) }).toEqual({ code: 0, tail: '' });

      const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
      expect(result.mode).toBe('quick');
      expect(result.rows.map((row) => row.id)).toEqual(ROWS);
      for (const row of result.rows) {
        expect({ row: row.id, failures: row.failures }).toEqual({ row: row.id, failures: { project: 0, bare: 0 } });
        expect(row.metrics.length).toBeGreaterThan(0);
        for (const figure of row.metrics) {
          const where = `${row.id} ${figure.name}`;
          expect({ where, project: Number.isFinite(figure.project) }).toEqual({ where, project: true });
          const shared = row.id === 'memory' && figure.name === 'dev server';
          expect({ where, bare: shared ? figure.bare === null : Number.isFinite(figure.bare) }).toEqual({ where, bare: true });
        }
      }
      // The lifecycle's bare workflow has as many activities as the project's ticket.
      const activities = result.rows.find((row) => row.id === 'lifecycle')!.metrics.find((figure) => figure.name === 'activities')!;
      expect(activities.bare).toBe(activities.project);
      // The table fits 120 columns.
      const table = output.split('\n').filter((line) => line.includes(' ms ') || line.startsWith('row '));
      expect(table.length).toBeGreaterThan(0);
      expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(120);
      // Nothing of the benchmark's stack is left running (its data directory is in each one's command line or environment).
      expect(processesMentioning(dir)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );
});
