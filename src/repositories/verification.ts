/**
 * Verifies a working tree the way the repository checks itself (issue 9, "Artifacts from the
 * repository, verified by the orchestrator"): removes the reports an earlier run left, runs the
 * set-up when its inputs changed (set-up cache), runs the test command, and reads the test report
 * and the coverage report it wrote into the `test_results`, `test_coverage` and `test_evidence`
 * contents the gates trust. Red tests, a non-zero exit, a timeout, a failed set-up and a missing or
 * malformed report are results (`success: false` with `error`), never exceptions.
 */
import { readFile, rm } from 'node:fs/promises';
import { commandFailure, commandLine, runRepositoryCommand, type CommandHeartbeat, type CommandRun } from './commands';
import type { ReportFile, RepositorySpec, TestCoverage, TestEvidence, TestResults } from './contracts';
import { parseCoverageReport, parseTestReport, ReportError, type TestReport } from './reports';
import { ensureSetup } from './setup-cache';
import { TreePathError, treePath } from './tree-paths';

/** What {@link verifyTree} found: the contents of the `test_results`, `test_coverage` and `test_evidence` artifacts. */
export interface Verification {
  testResults: TestResults;
  /** Null when the repository has no coverage report, or it is missing or malformed (see `coverageError`). */
  coverage: TestCoverage | null;
  /** Why a configured coverage report could not be read, if so (e.g. `no coverage report at coverage/coverage-summary.json`). */
  coverageError?: string;
  evidence: TestEvidence;
}

/** How {@link verifyTree} runs. */
export interface VerifyOptions {
  /** Aborting kills the running command; `verifyTree` then rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Heartbeats while a command runs (steps `setup`, `setup: waiting`, `test`), e.g. Temporal's `Context.heartbeat`. */
  heartbeat?: CommandHeartbeat;
  /** Interval of `heartbeat`, ms (default 5 s). */
  heartbeatIntervalMs?: number;
  /** The machine's set-up cache directory (see setup-cache.ts). */
  setupCacheDir: string;
  /** The whole environment of the set-up and test commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** The repository settings {@link verifyTree} uses. */
export type VerifiedRepository = Pick<RepositorySpec, 'name' | 'setup' | 'test' | 'coverage'>;

/** The text of `file`, or undefined when there is none. */
const readIfPresent = (file: string) =>
  readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });

/**
 * Reads `report` (its path relative to `tree`) with `parse`; `kind` names it in reasons.
 *
 * @returns the parsed report, or the reason there is none (missing, unreadable, malformed)
 */
async function readReport<T>(tree: string, report: ReportFile<string>, kind: string, parse: (text: string) => T): Promise<{ value: T } | { error: string }> {
  try {
    const text = await readIfPresent(treePath(tree, report.path));
    if (text === undefined) return { error: `no ${kind} at ${report.path}` };
    return { value: parse(text) };
  } catch (error) {
    if (error instanceof ReportError) return { error: `${kind} ${report.path} is malformed: ${error.message}` };
    return { error: `cannot read the ${kind} ${report.path}: ${(error as Error).message}` };
  }
}

/**
 * Sets up and tests `tree` (checked out at `commit`) with the repository's commands.
 *
 * @returns the verdicts: `testResults.success` only when the test report was read, no test failed
 *   and the test command exited 0 in time; otherwise `error` says why, beyond the failing tests in
 *   `failures` (e.g. `test command timed out after 2 s; killed`, `setup failed: npm ci exited with
 *   status 1`, `no test report at reports/junit.xml`)
 * @throws `options.signal.reason` when aborted; file-system errors of the set-up cache
 */
export async function verifyTree(tree: string, repository: VerifiedRepository, commit: string, options: VerifyOptions): Promise<Verification> {
  const { test, setup, coverage } = repository;
  const outcome = (command: Pick<TestEvidence, 'command'>, run: CommandRun | undefined, report: TestReport | undefined, error?: string): Verification => ({
    testResults: {
      format: test.report.format,
      numTotalTests: report?.numTotalTests ?? 0,
      numPassedTests: report?.numPassedTests ?? 0,
      numFailedTests: report?.numFailedTests ?? 0,
      success: error === undefined && report !== undefined && report.numFailedTests === 0,
      failures: report?.failures ?? [],
      ...(error === undefined ? {} : { error }),
      commit,
      exitCode: run?.exitCode ?? null,
      timedOut: run?.timedOut ?? false,
      durationMs: run?.durationMs ?? 0,
    },
    coverage: null,
    evidence: { command: command.command, text: run?.output ?? '', reportPath: test.report.path, commit },
  });
  const testLine = { command: commandLine(test) };

  // A report an earlier run left must never count.
  try {
    for (const report of [test.report, ...(coverage ? [coverage] : [])]) await rm(treePath(tree, report.path), { force: true });
  } catch (error) {
    return outcome(testLine, undefined, undefined, `cannot remove an earlier report: ${(error as Error).message}`);
  }

  if (setup) {
    try {
      const prepared = await ensureSetup(tree, repository.name, setup, {
        cacheDir: options.setupCacheDir,
        signal: options.signal,
        heartbeat: options.heartbeat,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        env: options.env,
      });
      if (prepared.status === 'failed') return outcome({ command: commandLine(setup) }, prepared.run, undefined, `setup failed: ${prepared.error}`);
    } catch (error) {
      if (!(error instanceof TreePathError)) throw error;
      return outcome({ command: commandLine(setup) }, undefined, undefined, `setup failed: ${error.message}`);
    }
  }

  const run = await runRepositoryCommand(test, {
    cwd: tree,
    signal: options.signal,
    heartbeat: options.heartbeat,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    step: 'test',
    env: options.env,
  });
  const read = await readReport(tree, test.report, 'test report', (text) => parseTestReport(test.report.format, text, { root: tree }));
  const report = 'value' in read ? read.value : undefined;
  const failed = commandFailure(test, run);
  let error: string | undefined;
  if (run.timedOut || run.error !== undefined || run.signal !== null) error = `test command ${failed}`;
  else if ('error' in read) error = failed === undefined ? read.error : `${read.error} (the test command ${failed})`;
  else if (failed !== undefined && read.value.numFailedTests === 0) error = `test command ${failed} but its report shows no failing test`;
  const verification = outcome(testLine, run, report, error);

  if (coverage) {
    const readCoverage = await readReport(tree, coverage, 'coverage report', (text) => parseCoverageReport(coverage.format, text));
    if ('value' in readCoverage) verification.coverage = { format: coverage.format, ...readCoverage.value, commit };
    else verification.coverageError = readCoverage.error;
  }
  return verification;
}
