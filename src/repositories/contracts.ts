/**
 * What the repositories context (issue 9) shares with the ticket workflow, the activities and the
 * API: how a repository is described and checked, the orchestrator's own tasks that verify and
 * integrate a ticket branch, and the shapes of the artifacts the orchestrator derives from the
 * repository (the gate trusts these, never an agent's report). Types and constants only: workflow
 * code may import it.
 */
import type { TaskExecution, TaskRef } from '../agents/contracts';

/**
 * A command run in a ticket's working tree: an executable and its arguments, never a shell string
 * (nothing is interpolated; `command` is looked up on PATH, `node` is this process's Node.js).
 */
export interface RepositoryCommand {
  command: string;
  args: string[];
  /** Longest run, ms; the process group is killed past it (SIGTERM, then SIGKILL). */
  timeoutMs: number;
}

/**
 * The repository's set-up (e.g. `npm ci`): run before the tests only when the content of its
 * `inputs` changed. Its `outputs` (e.g. `node_modules`) are kept per inputs hash on the machine and
 * linked into every working tree with the same inputs, so a new tree does not set up again.
 */
export interface SetupCommand extends RepositoryCommand {
  /** Files (relative to the tree) whose content decides whether set-up must run, e.g. `package-lock.json`. */
  inputs: string[];
  /** Directories (relative) the set-up produces, shared between trees with the same inputs; never committed. */
  outputs: string[];
}

/** Formats of a test report the orchestrator reads. */
export const TEST_REPORT_FORMATS = ['jest-json', 'junit-xml'] as const;
/** One of {@link TEST_REPORT_FORMATS}. */
export type TestReportFormat = (typeof TEST_REPORT_FORMATS)[number];

/** Formats of a coverage report the orchestrator reads. */
export const COVERAGE_FORMATS = ['istanbul-summary', 'cobertura-xml'] as const;
/** One of {@link COVERAGE_FORMATS}: Istanbul's `coverage-summary.json` or Cobertura XML. */
export type CoverageFormat = (typeof COVERAGE_FORMATS)[number];

/** A report file the test command writes, relative to the tree. */
export interface ReportFile<Format extends string> {
  format: Format;
  path: string;
}

/** The repository's test command and the report it writes (its exit status alone is not trusted). */
export interface TestCommand extends RepositoryCommand {
  report: ReportFile<TestReportFormat>;
}

/** How DEPLOYMENT integrates a ticket branch into the default branch. */
export const INTEGRATION_MODES = ['merge', 'rebase', 'branch-only'] as const;
/**
 * One of {@link INTEGRATION_MODES}: `merge` (a merge commit), `rebase` (rebase the branch onto the
 * default branch, then fast-forward), `branch-only` (no merge: the branch and its head are recorded
 * for a pull request).
 */
export type IntegrationMode = (typeof INTEGRATION_MODES)[number];

/** A repository tickets are worked in (the `repositories` row). */
export interface RepositorySpec {
  /** Unique key, e.g. `example`. */
  name: string;
  /** What git fetches from and pushes to: a local path, `file://`, or any URL git can fetch. */
  url: string;
  defaultBranch: string;
  setup: SetupCommand | null;
  test: TestCommand;
  coverage: ReportFile<CoverageFormat> | null;
  /** picomatch globs of the paths that count as tests, e.g. `test/**` and `**\/*.test.js`. */
  testPaths: string[];
  integration: IntegrationMode;
  /** Keep ticket branches on the remote after integration or cancellation. */
  keepBranches: boolean;
}

/**
 * The ticket's branch on the remote: `tickets/<externalId or id>`, the key made a valid git branch
 * name (each run of characters other than letters, digits, `.`, `_` and `-` becomes `-`; no `..`,
 * no leading `.` or `-`, no trailing `.` or `.lock`), e.g. `GH 12/a..b` → `tickets/GH-12-a.b`.
 */
export function ticketBranch(ticket: { id: string; externalId: string | null }): string {
  const name = ticketKey(ticket)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/(\.lock)+$/, '-lock')
    .replace(/\.+$/, '');
  return `tickets/${name || ticket.id}`;
}

/** The ticket's key in commit messages, branch names and document paths: its external ID, else its ID. */
export function ticketKey(ticket: { id: string; externalId: string | null }): string {
  return ticket.externalId ?? ticket.id;
}

/**
 * Where agents write a ticket's documents in the tree (`{key}` is {@link ticketKey}); after each
 * agent task the orchestrator collects the ones the task changed as these artifact types.
 */
export const DOCUMENT_PATHS: Readonly<Record<string, string>> = {
  requirements_document: 'docs/tickets/{key}/requirements.md',
  design_document: 'docs/tickets/{key}/design.md',
};

/**
 * Artifact types only the orchestrator produces for a ticket with a repository, from what it ran
 * itself: an agent's artifact of one of these types is ignored at the gate.
 */
export const VERIFIED_ARTIFACT_TYPES = ['code_changes', 'test_results', 'test_coverage', 'test_evidence'] as const;

/** The orchestrator's task that verifies the ticket's tree (IMPLEMENTATION and TESTING). */
export const VERIFY_TASK_TYPE = 'verify_workspace';
/** The orchestrator's task that integrates the ticket branch (DEPLOYMENT). */
export const INTEGRATE_TASK_TYPE = 'integrate_branch';

/** The orchestrator's own task types and the activity that runs each instead of `executeTask`. */
export const ORCHESTRATOR_TASKS = { [VERIFY_TASK_TYPE]: 'verifyWorkspace', [INTEGRATE_TASK_TYPE]: 'integrate' } as const;

/** Name recorded as the `assignedAgent` of the orchestrator's own tasks, and as the committer. */
export const ORCHESTRATOR_AGENT = 'orchestrator';

/** One changed file of a ticket branch against its base. */
export interface ChangedFile {
  path: string;
  insertions: number;
  deletions: number;
  /** Whether the path matches the repository's `testPaths`. */
  test: boolean;
}

/** Content of the `code_changes` artifact: the ticket branch's diff against its base. */
export interface CodeChanges {
  base: string;
  head: string;
  files: ChangedFile[];
  insertions: number;
  deletions: number;
  /** The changed test files (what `mustHaveTests` checks). */
  tests: string[];
}

/** Content of the `test_results` artifact: what the orchestrator's own test run gave. */
export interface TestResults {
  format: TestReportFormat;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  /** Whether the run succeeded: a report was read, no test failed, the command exited 0 in time. */
  success: boolean;
  /** Failing tests by name, each with the first line of its message. */
  failures: string[];
  /** Why the run did not succeed beyond failing tests (timeout, no report, ...), if so. */
  error?: string;
  /** The commit the tests ran on. */
  commit: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

/** Content of the `test_coverage` artifact. */
export interface TestCoverage {
  format: CoverageFormat;
  /** Line coverage, percent (0–100): what `minPercentage` checks. */
  percentage: number;
  lines: { covered: number; total: number };
  commit: string;
}

/**
 * Content of the `test_coverage` artifact when the run gave no coverage (the test command timed out,
 * or its report is missing or malformed): the gate names `error`.
 */
export interface MissingCoverage {
  format: CoverageFormat;
  error: string;
  commit: string;
}

/** Content of the `test_evidence` artifact: the captured output of the orchestrator's run. */
export interface TestEvidence {
  /** The command line, for people (it never ran through a shell). */
  command: string;
  /** The output's last part (stdout and stderr interleaved), at most 64 KiB. */
  text: string;
  reportPath: string;
  commit: string;
}

/** The repository activities, keyed by activity name (implementations: activities/repositories/). */
export interface RepositoryActivities {
  /**
   * Runs the repository's set-up (when its inputs changed) and tests in the ticket's tree synced
   * from the remote, and completes the task with `code_changes`, `test_results`, `test_coverage`
   * and `test_evidence`; red tests, a timeout or a missing report are recorded, not thrown.
   * @throws ApplicationFailure TaskNotFound (non-retryable); git or database errors (retryable)
   */
  verifyWorkspace: (input: TaskRef) => Promise<TaskExecution>;
  /**
   * Integrates the ticket branch into the default branch under the repository's resource lock:
   * merges (or rebases), verifies the merged tree, then moves and pushes the default branch.
   * @throws ApplicationFailure MergeConflict or IntegrationFailed (non-retryable: the default branch
   *   is untouched), ResourceBusy (retryable, not counted), TaskNotFound
   */
  integrate: (input: TaskRef) => Promise<TaskExecution>;
}
