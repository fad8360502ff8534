/**
 * The artifacts and task output the orchestrator stores from its own checks of a ticket's tree
 * (issue 9, "Artifacts from the repository, verified by the orchestrator"): `code_changes` from the
 * branch's diff, `test_results`, `test_coverage` and `test_evidence` from the repository's own test
 * command. The gates of IMPLEMENTATION and TESTING read these, never an agent's claims.
 */
import type { AgentArtifact, StoredTaskResult } from '../agents/protocol';
import type { CodeChanges, CoverageFormat, MissingCoverage, ReportFile, RepositorySpec, TestCoverage } from './contracts';
import type { Verification } from './verification';

/** Failing test names listed in a summary line, at most. */
const LISTED_FAILURES = 5;

/** One line on a verification, e.g. `12 of 12 tests passed, 100% lines covered` or `1 of 3 tests failed: sums`. */
export function verificationSummary({ testResults, coverage }: Verification): string {
  const tests = testResults.success
    ? `${testResults.numPassedTests} of ${testResults.numTotalTests} tests passed`
    : testResults.error && testResults.numFailedTests === 0
      ? testResults.error
      : `${testResults.numFailedTests} of ${testResults.numTotalTests} tests failed: ${testResults.failures.slice(0, LISTED_FAILURES).join('; ')}`;
  return coverage ? `${tests}, ${coverage.percentage}% lines covered` : tests;
}

/** The `test_coverage` content: the coverage, else why there is none (the test run's failure first). */
function coverageContent(report: ReportFile<CoverageFormat>, verification: Verification): TestCoverage | MissingCoverage {
  if (verification.coverage) return verification.coverage;
  const error = verification.testResults.error ?? verification.coverageError ?? `no coverage report at ${report.path}`;
  return { format: report.format, error, commit: verification.testResults.commit };
}

/**
 * The stored result of a `verify_workspace` task: its summary and context, and the artifacts
 * `code_changes`, `test_results`, `test_coverage` (when the repository reports coverage: the
 * figures, or why there are none) and
 * `test_evidence`, each at the path of the repository's report (`code_changes` at the branch's name).
 */
export function verificationResult(repository: RepositorySpec, branch: string, verification: Verification, changes: CodeChanges): StoredTaskResult {
  const summary = verificationSummary(verification);
  const artifacts: AgentArtifact[] = [
    { type: 'code_changes', path: branch, content: changes },
    { type: 'test_results', path: repository.test.report.path, content: verification.testResults },
    ...(repository.coverage ? [{ type: 'test_coverage', path: repository.coverage.path, content: coverageContent(repository.coverage, verification) }] : []),
    { type: 'test_evidence', path: repository.test.report.path, content: verification.evidence },
  ];
  return {
    output: {
      summary: `${repository.name} at ${changes.head.slice(0, 12)}: ${summary}`,
      context: {
        test_summary: summary,
        code_changes_summary: `${changes.files.length} files changed (+${changes.insertions} −${changes.deletions}), ${changes.tests.length} test files`,
        ...(verification.testResults.success ? {} : { risks: verification.testResults.failures.map((failure) => `Failing test: ${failure}`) }),
      },
    },
    artifacts,
  };
}
