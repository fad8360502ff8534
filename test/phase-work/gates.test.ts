import { Phase } from '../../src/ticket/phases';
import {
  PHASE_GATE_REQUIREMENTS,
  clarificationQuestion,
  evaluateGate,
  extendGateRequirements,
  type GateArtifact,
  type GateTask,
} from '../../src/phase-work/gates';

const done: GateTask[] = [{ taskType: 'analyze_requirements', status: 'completed' }];
const requirementsGate = PHASE_GATE_REQUIREMENTS[Phase.REQUIREMENTS];
const implementationGate = PHASE_GATE_REQUIREMENTS[Phase.IMPLEMENTATION];
const testingGate = PHASE_GATE_REQUIREMENTS[Phase.TESTING];

/** A markdown requirements document of exactly `length` characters with the given headings. */
function requirementsDoc(length: number, headings = ['Scope', 'Acceptance Criteria']): GateArtifact {
  const head = headings.map((h) => `## ${h}\n`).join('');
  return { type: 'requirements_document', content: head + 'x'.repeat(Math.max(0, length - head.length)) };
}

describe('PHASE_GATE_REQUIREMENTS (seed 001, Stream G)', () => {
  it('holds exactly the seeds’ gates, with the acceptance criteria required of the ticket and its document (issue 11)', () => {
    expect(PHASE_GATE_REQUIREMENTS).toEqual({
      [Phase.REQUIREMENTS]: {
        requiredArtifacts: ['requirements_document'],
        requiredTasksCompleted: true,
        validationCriteria: {
          requirements_document: { minLength: 500, requiredSections: ['scope', 'acceptance_criteria'], nonEmptySections: ['acceptance_criteria'] },
        },
        ticketAcceptanceCriteria: true,
      },
      [Phase.IMPLEMENTATION]: {
        requiredArtifacts: ['code_changes', 'test_coverage'],
        requiredTasksCompleted: true,
        validationCriteria: { test_coverage: { minPercentage: 80 }, code_changes: { mustHaveTests: true } },
      },
      [Phase.TESTING]: {
        requiredArtifacts: ['test_results', 'test_evidence'],
        requiredTasksCompleted: true,
        validationCriteria: { test_results: { allPassed: true } },
      },
    });
  });

  it('can be extended by a deployment without losing the seeds’ criteria', () => {
    const extended = extendGateRequirements(PHASE_GATE_REQUIREMENTS, {
      [Phase.REQUIREMENTS]: {
        requiredArtifacts: ['risk_register'],
        requiredTasksCompleted: false,
        validationCriteria: { requirements_document: { minLength: 800 } },
      },
      [Phase.DEPLOYMENT]: { requiredArtifacts: ['release_notes'], requiredTasksCompleted: true, validationCriteria: {} },
    });
    expect(extended[Phase.REQUIREMENTS]).toEqual({
      requiredArtifacts: ['requirements_document', 'risk_register'],
      requiredTasksCompleted: true,
      validationCriteria: {
        requirements_document: { minLength: 800, requiredSections: ['scope', 'acceptance_criteria'], nonEmptySections: ['acceptance_criteria'] },
      },
      ticketAcceptanceCriteria: true,
    });
    expect(extended[Phase.DEPLOYMENT]?.requiredArtifacts).toEqual(['release_notes']);
    expect(PHASE_GATE_REQUIREMENTS[Phase.DEPLOYMENT]).toBeUndefined();
  });
});

describe('evaluateGate', () => {
  it('passes an open gate (a phase without requirements)', () => {
    expect(evaluateGate(PHASE_GATE_REQUIREMENTS[Phase.DESIGN], [], [])).toEqual({ requirementsMet: true, missingArtifacts: [], blockingReasons: [] });
  });

  it('lists missing artifacts and blocks', () => {
    const result = evaluateGate(testingGate, [], done);
    expect(result.requirementsMet).toBe(false);
    expect(result.missingArtifacts).toEqual(['test_results', 'test_evidence']);
    expect(result.blockingReasons).toEqual(['test_results: required artifact missing', 'test_evidence: required artifact missing']);
  });

  describe('minLength 500', () => {
    it('passes at exactly 500 characters', () => {
      expect(evaluateGate(requirementsGate, [requirementsDoc(500)], done).requirementsMet).toBe(true);
    });
    it('blocks at 499 characters, naming the artifact, criterion and length', () => {
      expect(evaluateGate(requirementsGate, [requirementsDoc(499)], done).blockingReasons).toEqual([
        'requirements_document: minLength 500 not met (499 characters)',
      ]);
    });
    it('measures the text of a structured artifact', () => {
      const content = { text: '# Scope\n# acceptance_criteria\n' + 'y'.repeat(600) };
      expect(evaluateGate(requirementsGate, [{ type: 'requirements_document', content }], done).requirementsMet).toBe(true);
    });
  });

  describe('requiredSections', () => {
    it('blocks for each missing section', () => {
      expect(evaluateGate(requirementsGate, [requirementsDoc(600, ['Background'])], done).blockingReasons).toEqual([
        'requirements_document: requiredSections: section "scope" missing',
        'requirements_document: requiredSections: section "acceptance_criteria" missing',
      ]);
    });
    it('matches headings regardless of case, spaces and underscores, but not words in prose', () => {
      const prose = { type: 'requirements_document', content: 'The scope and acceptance criteria are below.\n' + 'z'.repeat(600) };
      expect(evaluateGate(requirementsGate, [prose], done).requirementsMet).toBe(false);
      expect(evaluateGate(requirementsGate, [requirementsDoc(600, ['SCOPE', 'acceptance-criteria'])], done).requirementsMet).toBe(true);
    });
    it('accepts sections given as keys of content.sections', () => {
      const content = { sections: { scope: 'a', acceptance_criteria: 'b' }, filler: 'q'.repeat(600) };
      expect(evaluateGate(requirementsGate, [{ type: 'requirements_document', content }], done).requirementsMet).toBe(true);
    });
  });

  describe('acceptance criteria of the ticket and its document (issue 11)', () => {
    const ticket = { name: 'CLAR-1', acceptanceCriteria: ['It works'] };
    const filler = 'Background prose that makes the document long enough for its minimum length. '.repeat(8);
    const document = (criteria: string): GateArtifact => ({
      type: 'requirements_document',
      content: `# Requirements\n\n## Scope\n\nThe scope.\n\n## Acceptance Criteria\n${criteria}\n## Notes\n\n${filler}`,
    });

    it('passes a ticket with criteria and a document listing them', () => {
      expect(evaluateGate(requirementsGate, [document('\n- It works\n')], done, ticket)).toEqual({
        requirementsMet: true,
        missingArtifacts: [],
        blockingReasons: [],
      });
    });

    it('fails a document whose Acceptance Criteria section is empty (blank lines only), and asks the question', () => {
      const result = evaluateGate(requirementsGate, [document('\n  \n\n')], done, ticket);
      expect(result.blockingReasons).toEqual(['requirements_document: nonEmptySections: section "acceptance_criteria" is empty']);
      expect(result.clarification).toBe(clarificationQuestion('CLAR-1'));
      expect(result.clarification).toMatch(/^What are the acceptance criteria of CLAR-1\?/);
    });

    it('fails an empty section at the end of the document, and an empty one in content.sections', () => {
      const last = { type: 'requirements_document', content: `## Scope\n\n${filler}\n\n## Acceptance Criteria\n\n` };
      expect(evaluateGate(requirementsGate, [last], done, ticket).blockingReasons).toEqual([
        'requirements_document: nonEmptySections: section "acceptance_criteria" is empty',
      ]);
      const structured = { type: 'requirements_document', content: { sections: { scope: 'a', acceptance_criteria: [] }, filler } };
      expect(evaluateGate(requirementsGate, [structured], done, ticket).blockingReasons).toEqual([
        'requirements_document: nonEmptySections: section "acceptance_criteria" is empty',
      ]);
    });

    it('asks the question when the section is missing, and reports the missing section once', () => {
      const result = evaluateGate(requirementsGate, [requirementsDoc(600, ['Scope'])], done, ticket);
      expect(result.blockingReasons).toEqual(['requirements_document: requiredSections: section "acceptance_criteria" missing']);
      expect(result.clarification).toBe(clarificationQuestion('CLAR-1'));
    });

    it('reports a missing section under nonEmptySections when no requiredSections lists it', () => {
      const gate = { requiredArtifacts: ['notes'], requiredTasksCompleted: false, validationCriteria: { notes: { nonEmptySections: ['decisions'] } } };
      expect(evaluateGate(gate, [{ type: 'notes', content: '## Other\n\ntext' }], []).blockingReasons).toEqual([
        'notes: nonEmptySections: section "decisions" missing',
      ]);
    });

    it('fails a ticket without acceptance criteria (blank ones count as none) however good its document', () => {
      for (const acceptanceCriteria of [[], ['  ']]) {
        const result = evaluateGate(requirementsGate, [document('\n- It works\n')], done, { name: '"Dark mode"', acceptanceCriteria });
        expect(result.blockingReasons).toEqual(['ticket: acceptanceCriteria: the ticket has no acceptance criteria, so completion cannot be verified']);
        expect(result.clarification).toBe(clarificationQuestion('"Dark mode"'));
      }
    });

    it('asks nothing for other failures, nor without the ticket', () => {
      expect(evaluateGate(requirementsGate, [requirementsDoc(499)], done, ticket).clarification).toBeUndefined();
      expect(evaluateGate(requirementsGate, [document('\n- It works\n')], done).requirementsMet).toBe(true);
    });
  });

  describe('minPercentage 80 and mustHaveTests', () => {
    const changes: GateArtifact = { type: 'code_changes', content: { files: ['src/a.ts', 'src/a.test.ts'] } };
    it('passes at exactly 80 percent from a Jest coverage summary', () => {
      const coverage = { type: 'test_coverage', content: { total: { lines: { pct: 80 } } } };
      expect(evaluateGate(implementationGate, [changes, coverage], done).requirementsMet).toBe(true);
    });
    it('blocks at 79.99 percent', () => {
      const coverage = { type: 'test_coverage', content: { percentage: 79.99 } };
      expect(evaluateGate(implementationGate, [changes, coverage], done).blockingReasons).toEqual(['test_coverage: minPercentage 80 not met (79.99%)']);
    });
    it('blocks when no percentage can be read', () => {
      const coverage = { type: 'test_coverage', content: { note: 'good coverage' } };
      expect(evaluateGate(implementationGate, [changes, coverage], done).blockingReasons).toEqual([
        'test_coverage: minPercentage 80: no coverage percentage found',
      ]);
    });
    it('blocks code changes without a test file', () => {
      const noTests = { type: 'code_changes', content: { files: ['src/a.ts', 'README.md'] } };
      const coverage = { type: 'test_coverage', content: 95 };
      expect(evaluateGate(implementationGate, [noTests, coverage], done).blockingReasons).toEqual([
        'code_changes: mustHaveTests: no test file among the changes',
      ]);
    });
    it("decides by the orchestrator's changed test files alone when the changes list them (issue 9: CodeChanges.tests)", () => {
      const coverage = { type: 'test_coverage', content: 95 };
      const changes = (tests: string[]) => ({
        type: 'code_changes',
        content: { base: 'b', head: 'h', files: [{ path: 'src/a.test.ts', insertions: 1, deletions: 0, test: false }], insertions: 1, deletions: 0, tests },
      });
      // The repository's globs did not count src/a.test.ts as a test: its name does not overrule them.
      expect(evaluateGate(implementationGate, [changes([]), coverage], done).blockingReasons).toEqual([
        'code_changes: mustHaveTests: no test file among the changes',
      ]);
      expect(evaluateGate(implementationGate, [changes(['spec/a_spec.rb']), coverage], done).requirementsMet).toBe(true);
    });
    it('recognises test directories and listed tests', () => {
      const coverage = { type: 'test_coverage', content: 95 };
      for (const content of [{ files: ['test/a.ts'] }, { files: [{ path: 'src/__tests__/a.js' }] }, { tests: ['a works'] }]) {
        expect(evaluateGate(implementationGate, [{ type: 'code_changes', content }, coverage], done).requirementsMet).toBe(true);
      }
    });
  });

  describe('allPassed', () => {
    const evidence: GateArtifact = { type: 'test_evidence', content: 'jest output' };
    it('passes when every test passed (Jest JSON)', () => {
      const results = { type: 'test_results', content: { numPassedTests: 12, numFailedTests: 0 } };
      expect(evaluateGate(testingGate, [results, evidence], done).requirementsMet).toBe(true);
    });
    it('blocks on one failed test', () => {
      const results = { type: 'test_results', content: { passed: 11, failed: 1 } };
      expect(evaluateGate(testingGate, [results, evidence], done).blockingReasons).toEqual(['test_results: allPassed: 1 of 12 tests failed']);
    });
    it('blocks when no test ran or counts are absent', () => {
      expect(evaluateGate(testingGate, [{ type: 'test_results', content: { passed: 0, failed: 0 } }, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: no test ran',
      ]);
      expect(evaluateGate(testingGate, [{ type: 'test_results', content: 'all green' }, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: no test counts found',
      ]);
    });
    it('blocks a run Jest reports unsuccessful although no counted test failed (a file failed to load)', () => {
      const results = { type: 'test_results', content: { numPassedTests: 5, numFailedTests: 0, success: false } };
      expect(evaluateGate(testingGate, [results, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: the test run did not succeed (a test file failed to run)',
      ]);
    });
    it("names the failing tests of the orchestrator's results, the first three, and counts the rest (issue 9)", () => {
      const results = (failures: string[], extra = {}) => ({
        type: 'test_results',
        content: {
          format: 'jest-json',
          numTotalTests: 3,
          numPassedTests: 3 - failures.length,
          numFailedTests: failures.length,
          success: false,
          failures,
          ...extra,
        },
      });
      expect(evaluateGate(testingGate, [results(['adds › sums two numbers: expected 3, got 4']), evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: 1 of 3 tests failed: adds › sums two numbers: expected 3, got 4',
      ]);
      const many = ['a: 1', 'b: 2', 'c: 3', 'd: 4', 'e: 5'];
      const five = { type: 'test_results', content: { numPassedTests: 1, numFailedTests: 5, failures: many } };
      expect(evaluateGate(testingGate, [five, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: 5 of 6 tests failed: a: 1; b: 2; c: 3 (and 2 more)',
      ]);
      expect(evaluateGate(testingGate, [results(['t: x'], { error: 'test command exited with status 2' }), evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: 1 of 3 tests failed: t: x; test command exited with status 2',
      ]);
    });
    it("adds the orchestrator's reason when the run did not succeed (timeout, no report)", () => {
      const timedOut = { numPassedTests: 0, numFailedTests: 0, success: false, failures: [], error: 'test command timed out after 2 s; killed' };
      expect(evaluateGate(testingGate, [{ type: 'test_results', content: timedOut }, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: no test ran; test command timed out after 2 s; killed',
      ]);
      const passedThenKilled = { ...timedOut, numPassedTests: 4 };
      expect(evaluateGate(testingGate, [{ type: 'test_results', content: passedThenKilled }, evidence], done).blockingReasons).toEqual([
        'test_results: allPassed: the test run did not succeed: test command timed out after 2 s; killed',
      ]);
      expect(
        evaluateGate(testingGate, [{ type: 'test_results', content: { error: 'no test report at reports/junit.xml' } }, evidence], done).blockingReasons,
      ).toEqual(['test_results: allPassed: no test counts found; no test report at reports/junit.xml']);
    });
    it('judges the latest artifact of a type', () => {
      const failing = { type: 'test_results', content: { passed: 1, failed: 1 } };
      const fixed = { type: 'test_results', content: { passed: 2, failed: 0 } };
      expect(evaluateGate(testingGate, [failing, fixed, evidence], done).requirementsMet).toBe(true);
    });
  });

  describe('requiredTasksCompleted', () => {
    it('blocks while any phase task is not completed, listing them', () => {
      const tasks = [
        { taskType: 'analyze_requirements', status: 'completed' },
        { taskType: 'create_requirements_doc', status: 'failed' },
      ];
      expect(evaluateGate(requirementsGate, [requirementsDoc(600)], tasks).blockingReasons).toEqual([
        'requiredTasksCompleted: 1 of 2 tasks not completed (create_requirements_doc is failed)',
      ]);
    });
    it('is met with no tasks at all', () => {
      expect(evaluateGate(requirementsGate, [requirementsDoc(600)], []).requirementsMet).toBe(true);
    });
  });
});
