/**
 * Verifying a tree (issue 9, "Artifacts from the repository, verified by the orchestrator"): small
 * throwaway trees whose test command is a real `node` script writing a JUnit or Jest JSON report
 * (and a coverage summary), and whose set-up installs a module the tests load. Green, red (the
 * failing test named, also by the gate), a hang killed at its timeout, no report, a stale report,
 * a malformed report, a failed set-up, an abort.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PHASE_GATE_REQUIREMENTS, evaluateGate } from '../../src/phase-work/gates';
import type { TestReportFormat } from '../../src/repositories/contracts';
import { verifyTree, type VerifiedRepository, type VerifyOptions } from '../../src/repositories/verification';
import { Phase } from '../../src/ticket/phases';
import { eventually, isAlive } from '../helpers/poll';

const COMMIT = 'a'.repeat(40);

/**
 * The tree's test runner: `node run-tests.js <format> <mode>` runs the tests of tests.json (each
 * `{ suite, name, error? }`), writes the report in `format` and a coverage summary, and exits 1 when
 * a test failed. Modes: `normal`, `hang`, `no-report`, `garbage`, `exit-1` (green report, status 1).
 */
const RUNNER = `
const fs = require('node:fs');
const [format, mode] = process.argv.slice(2);
const tests = JSON.parse(fs.readFileSync('tests.json', 'utf8'));
let dep = 'missing';
try { dep = require('dep'); } catch {}
console.log('running ' + tests.length + ' tests; dep: ' + dep);
fs.writeFileSync('ran.txt', String(process.pid));
if (mode === 'hang') { setInterval(() => {}, 1000); return; }
const failed = tests.filter((t) => t.error).length;
const write = (file, text) => { fs.mkdirSync(require('node:path').dirname(file), { recursive: true }); fs.writeFileSync(file, text); };
if (mode === 'garbage') write('reports/report', '<testsuites><testsuite name="cut off');
else if (mode !== 'no-report' && format === 'junit-xml') {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const cases = tests.map((t) => '<testcase name="' + esc(t.name) + '">' + (t.error ? '<failure message="' + esc(t.error) + '"/>' : '') + '</testcase>');
  write('reports/report', '<testsuites><testsuite name="' + esc(tests[0].suite) + '">' + cases.join('') + '</testsuite></testsuites>');
} else if (mode !== 'no-report') {
  write('reports/report', JSON.stringify({
    numTotalTests: tests.length, numPassedTests: tests.length - failed, numFailedTests: failed,
    testResults: [{ name: process.cwd() + '/test/sum.test.js', status: failed ? 'failed' : 'passed', message: '',
      assertionResults: tests.map((t) => ({ ancestorTitles: [t.suite], title: t.name, status: t.error ? 'failed' : 'passed', failureMessages: t.error ? [t.error + '\\n    at test/sum.test.js:4:5'] : [] })) }],
  }));
}
if (mode !== 'no-report') write('coverage/coverage-summary.json', JSON.stringify({ total: { lines: { total: 10, covered: 9, skipped: 0, pct: 90 } } }));
process.exitCode = mode === 'exit-1' || failed > 0 || mode === 'no-report' ? 1 : 0;
`;

/** The set-up: `node setup.js <mode>` installs module `dep` into node_modules, or fails (`fail`). */
const SETUP = `
const fs = require('node:fs');
if (process.argv[2] === 'fail') { console.error('cannot install dep'); process.exit(1); }
fs.mkdirSync('node_modules/dep', { recursive: true });
fs.writeFileSync('node_modules/dep/index.js', "module.exports = 'installed';");
`;

let dir: string;
let options: VerifyOptions;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'verify-tree-')));
  options = { signal: new AbortController().signal, setupCacheDir: path.join(dir, 'setup-cache') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sums = [
  { suite: 'adds', name: 'sums two numbers' },
  { suite: 'adds', name: 'sums zero' },
  { suite: 'adds', name: 'sums negatives' },
];
const red = [{ ...sums[0]!, error: 'expected 3, got 4' }, sums[1]!, sums[2]!];

let trees = 0;
/** A new tree holding the runner, the set-up and `tests`. */
function tree(tests: { suite: string; name: string; error?: string }[]): string {
  const root = path.join(dir, `tree-${++trees}`);
  mkdirSync(root);
  writeFileSync(path.join(root, 'run-tests.js'), RUNNER);
  writeFileSync(path.join(root, 'setup.js'), SETUP);
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion": 3}');
  writeFileSync(path.join(root, 'tests.json'), JSON.stringify(tests));
  return root;
}

/** The repository whose test command runs the runner in `mode`. */
function repository(format: TestReportFormat, mode = 'normal', overrides: Partial<VerifiedRepository> = {}): VerifiedRepository {
  return {
    name: 'example',
    setup: { command: 'node', args: ['setup.js', 'ok'], timeoutMs: 10_000, inputs: ['package-lock.json'], outputs: ['node_modules'] },
    test: { command: 'node', args: ['run-tests.js', format, mode], timeoutMs: 10_000, report: { format, path: 'reports/report' } },
    coverage: { format: 'istanbul-summary', path: 'coverage/coverage-summary.json' },
    ...overrides,
  };
}

const testingGate = PHASE_GATE_REQUIREMENTS[Phase.TESTING];
/** The TESTING gate's blocking reasons for a verification's artifacts. */
const gateReasons = (verification: Awaited<ReturnType<typeof verifyTree>>) =>
  evaluateGate(
    testingGate,
    [
      { type: 'test_results', content: verification.testResults },
      { type: 'test_evidence', content: verification.evidence },
    ],
    [],
  ).blockingReasons;

describe('verifyTree', () => {
  it('sets up, runs the tests and reads a green JUnit report and the coverage', async () => {
    const root = tree(sums);
    const verification = await verifyTree(root, repository('junit-xml'), COMMIT, options);
    expect(verification).toEqual({
      testResults: {
        format: 'junit-xml',
        numTotalTests: 3,
        numPassedTests: 3,
        numFailedTests: 0,
        success: true,
        failures: [],
        commit: COMMIT,
        exitCode: 0,
        timedOut: false,
        durationMs: expect.any(Number),
      },
      coverage: { format: 'istanbul-summary', percentage: 90, lines: { covered: 9, total: 10 }, commit: COMMIT },
      evidence: { command: 'node run-tests.js junit-xml normal', text: 'running 3 tests; dep: installed\n', reportPath: 'reports/report', commit: COMMIT },
    });
    expect(gateReasons(verification)).toEqual([]);
  });

  it('reports red tests by name (Jest JSON), and the gate names them', async () => {
    const verification = await verifyTree(tree(red), repository('jest-json'), COMMIT, options);
    expect(verification.testResults).toMatchObject({
      numTotalTests: 3,
      numPassedTests: 2,
      numFailedTests: 1,
      success: false,
      failures: ['adds › sums two numbers: expected 3, got 4'],
      exitCode: 1,
    });
    expect(verification.testResults.error).toBeUndefined(); // the failing test is the whole story
    expect(verification.coverage).toMatchObject({ percentage: 90 });
    expect(gateReasons(verification)).toEqual(['test_results: allPassed: 1 of 3 tests failed: adds › sums two numbers: expected 3, got 4']);
  });

  it('kills a hanging test command at its timeout and says so', async () => {
    const root = tree(sums);
    const hanging = repository('junit-xml', 'hang');
    hanging.test.timeoutMs = 1000;
    const verification = await verifyTree(root, hanging, COMMIT, options);
    expect(verification.testResults).toMatchObject({
      success: false,
      error: 'test command timed out after 1 s; killed',
      timedOut: true,
      exitCode: null,
      numTotalTests: 0,
      failures: [],
    });
    expect(verification.evidence.text).toBe('running 3 tests; dep: installed\n');
    expect(gateReasons(verification)).toEqual(['test_results: allPassed: no test ran; test command timed out after 1 s; killed']);
  });

  it('fails without a report, whatever the exit status', async () => {
    const silent = await verifyTree(tree(sums), repository('junit-xml', 'no-report'), COMMIT, options);
    expect(silent.testResults).toMatchObject({
      success: false,
      error: 'no test report at reports/report (the test command exited with status 1)',
      exitCode: 1,
    });
    const green = repository('junit-xml', 'no-report', { test: { ...repository('junit-xml').test, args: ['-e', 'console.log("all tests pass")'] } });
    const liar = await verifyTree(tree(sums), green, COMMIT, options);
    expect(liar.testResults).toMatchObject({ success: false, error: 'no test report at reports/report', exitCode: 0 });
    expect(liar.coverage).toBeNull();
    expect(liar.coverageError).toBe('no coverage report at coverage/coverage-summary.json');
  });

  it('never counts a report an earlier run left', async () => {
    const root = tree(sums);
    const earlier = await verifyTree(root, repository('junit-xml'), COMMIT, options);
    expect(earlier.testResults.success).toBe(true);
    expect(existsSync(path.join(root, 'reports', 'report'))).toBe(true);
    const verification = await verifyTree(root, repository('junit-xml', 'no-report'), COMMIT, options);
    expect(verification.testResults).toMatchObject({ success: false, error: 'no test report at reports/report (the test command exited with status 1)' });
    expect(verification.coverage).toBeNull();
    expect(existsSync(path.join(root, 'coverage', 'coverage-summary.json'))).toBe(false);
  });

  it('fails on a malformed report, and on a non-zero exit with a green report', async () => {
    const garbled = await verifyTree(tree(sums), repository('junit-xml', 'garbage'), COMMIT, options);
    expect(garbled.testResults).toMatchObject({ success: false, exitCode: 0 });
    expect(garbled.testResults.error).toMatch(/^test report reports\/report is malformed: JUnit report is not well-formed XML: /);
    const exit1 = await verifyTree(tree(sums), repository('jest-json', 'exit-1'), COMMIT, options);
    expect(exit1.testResults).toMatchObject({
      success: false,
      numPassedTests: 3,
      error: 'test command exited with status 1 but its report shows no failing test',
    });
    expect(gateReasons(exit1)).toEqual([
      'test_results: allPassed: the test run did not succeed: test command exited with status 1 but its report shows no failing test',
    ]);
  });

  it('stops at a failed set-up, without running the tests', async () => {
    const root = tree(sums);
    const broken = repository('junit-xml', 'normal', {
      setup: { command: 'node', args: ['setup.js', 'fail'], timeoutMs: 10_000, inputs: ['package-lock.json'], outputs: ['node_modules'] },
    });
    const verification = await verifyTree(root, broken, COMMIT, options);
    expect(verification.testResults).toMatchObject({ success: false, error: 'setup failed: node setup.js fail exited with status 1', exitCode: 1 });
    expect(verification.evidence).toMatchObject({ command: 'node setup.js fail', text: 'cannot install dep\n' });
    expect(existsSync(path.join(root, 'ran.txt'))).toBe(false);
  });

  it('runs without set-up or coverage, records an unreadable coverage report, and refuses report paths outside the tree', async () => {
    const bare = await verifyTree(tree(sums), repository('junit-xml', 'normal', { setup: null, coverage: null }), COMMIT, options);
    expect(bare).toMatchObject({ testResults: { success: true }, coverage: null, evidence: { text: 'running 3 tests; dep: missing\n' } });
    const wrongFormat = repository('junit-xml', 'normal', { coverage: { format: 'cobertura-xml', path: 'coverage/coverage-summary.json' } });
    const unreadable = await verifyTree(tree(sums), wrongFormat, COMMIT, options);
    expect(unreadable).toMatchObject({ testResults: { success: true }, coverage: null });
    expect(unreadable.coverageError).toMatch(/^coverage report coverage\/coverage-summary.json is malformed: Cobertura report is not well-formed XML: /);
    const outside = repository('junit-xml', 'normal', { coverage: { format: 'cobertura-xml', path: '../coverage.xml' } });
    const root = tree(sums);
    const verification = await verifyTree(root, outside, COMMIT, options);
    expect(verification.testResults).toMatchObject({ success: false, error: 'cannot remove an earlier report: path "../coverage.xml" is not inside the tree' });
    expect(existsSync(path.join(root, 'ran.txt'))).toBe(false);
  });

  it('rejects with the reason when aborted, killing the test command', async () => {
    const controller = new AbortController();
    const beats: string[] = [];
    const root = tree(sums);
    const running = verifyTree(root, repository('junit-xml', 'hang'), COMMIT, {
      ...options,
      signal: controller.signal,
      heartbeat: ({ step }) => beats.push(step),
      heartbeatIntervalMs: 50,
    });
    const outcome = running.catch((error: unknown) => error);
    const reason = new Error('ticket cancelled');
    await eventually(() => beats.includes('test') && existsSync(path.join(root, 'ran.txt')), 'a heartbeat of the running test command');
    const pid = Number(readFileSync(path.join(root, 'ran.txt'), 'utf8'));
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    await eventually(() => !isAlive(pid), `test command ${pid} to be gone`, 5000);
  });
});
