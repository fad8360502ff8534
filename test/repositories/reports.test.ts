/**
 * Reading test and coverage reports (issue 9, "Artifacts from the repository"): fixtures written by
 * the real tools (test/fixtures/reports/: Jest 30's `--json` with a failing test and a test file
 * that could not load, Node's test runner's JUnit reporter with failures, Istanbul's json-summary
 * and cobertura reporters), the other shapes the formats allow, and malformed input.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseCoberturaXml,
  parseCoverageReport,
  parseIstanbulSummary,
  parseJestJson,
  parseJunitXml,
  parseTestReport,
  ReportError,
} from '../../src/repositories/reports';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'reports', name), 'utf8');

describe('Jest JSON', () => {
  it('counts the tests and names the failing ones; a test file that failed to load counts as a failure', () => {
    expect(parseJestJson(fixture('jest.json'), { root: '/home/dev/example' })).toEqual({
      numTotalTests: 5, // 4 tests (one skipped) and the file that could not load
      numPassedTests: 2,
      numFailedTests: 2,
      failures: [
        'adds › sums two numbers: Error: expect(received).toBe(expected) // Object.is equality',
        "test/broken.test.js: Cannot find module '../src/does-not-exist' from 'test/broken.test.js'",
      ],
    });
  });

  it('keeps absolute paths outside the root, and reads a green report', () => {
    const report = parseTestReport('jest-json', fixture('jest.json'), { root: '/elsewhere' });
    expect(report.failures[1]).toMatch(/^\/home\/dev\/example\/test\/broken\.test\.js: Cannot find module/);
    const green = {
      numTotalTests: 1,
      numPassedTests: 1,
      numFailedTests: 0,
      testResults: [{ name: '/t/a.test.js', status: 'passed', assertionResults: [{ status: 'passed', title: 'a' }] }],
    };
    expect(parseTestReport('jest-json', JSON.stringify(green))).toEqual({ numTotalTests: 1, numPassedTests: 1, numFailedTests: 0, failures: [] });
  });

  it('strips terminal colours and uses fullName when a test has no title', () => {
    const report = {
      numTotalTests: 1,
      numPassedTests: 0,
      numFailedTests: 1,
      testResults: [
        {
          name: 'a',
          status: 'failed',
          assertionResults: [{ status: 'failed', fullName: 'adds one', failureMessages: ['\u001b[31mexpected 2\u001b[39m\nmore'] }],
        },
      ],
    };
    expect(parseJestJson(JSON.stringify(report)).failures).toEqual(['adds one: expected 2']);
  });

  it('throws a ReportError for text that is not JSON or not a Jest report', () => {
    expect(() => parseJestJson('{"numTotalTests": 3,')).toThrow(ReportError);
    expect(() => parseJestJson('{"numTotalTests": 3,')).toThrow(/^Jest JSON report is not JSON: /);
    expect(() => parseJestJson('{"numTotalTests": 3}')).toThrow(/^not a Jest JSON report \(jest --json\):\n.*numPassedTests/s);
  });
});

describe('JUnit XML', () => {
  it("reads the Node test runner's report: nested suites, failures, a skipped test", () => {
    expect(parseJunitXml(fixture('node-test-junit.xml'))).toEqual({
      numTotalTests: 5,
      numPassedTests: 2,
      numFailedTests: 2,
      failures: ['adds › sums two numbers: expected 3, got 44 !== 3', 'adds › negative › throws on strings: strings are not numbers'],
    });
  });

  it('reads a single <testsuite> root with <error>, a message in the text only, and a classname without a suite', () => {
    const single = `<?xml version="1.0"?>
      <testsuite name="com.example.SumTest" tests="3" failures="0" errors="1">
        <testcase classname="com.example.SumTest" name="sumsTwo"/>
        <testcase classname="com.example.SumTest" name="sumsNull"><error type="java.lang.NullPointerException">
          java.lang.NullPointerException: a is null
            at com.example.Sum.sum(Sum.java:3)</error></testcase>
        <testcase classname="com.example.SumTest" name="sumsLater"><skipped/></testcase>
      </testsuite>`;
    expect(parseTestReport('junit-xml', single)).toEqual({
      numTotalTests: 3,
      numPassedTests: 1,
      numFailedTests: 1,
      failures: ['com.example.SumTest › sumsNull: java.lang.NullPointerException: a is null'],
    });
    const bare = '<testsuites><testcase classname="checks" name="checks runs"><failure message="boom"/></testcase></testsuites>';
    expect(parseJunitXml(bare).failures).toEqual(['checks runs: boom']); // the name already begins with the classname
  });

  it('counts a suite that reports errors but holds no test case (it failed to run) as a failure', () => {
    const xml = `<testsuites>
        <testsuite name="test/broken.test.js" tests="0" errors="1" failures="0"/>
        <testsuite name="pytest" tests="1" errors="0"><testcase classname="tests.test_a" name="test_ok"/></testsuite>
      </testsuites>`;
    expect(parseJunitXml(xml)).toEqual({
      numTotalTests: 2,
      numPassedTests: 1,
      numFailedTests: 1,
      failures: ['test/broken.test.js: the suite failed to run (1 errors, no test case)'],
    });
    expect(parseJunitXml('<testsuites/>')).toEqual({ numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, failures: [] });
  });

  it('throws a ReportError for malformed XML or another document', () => {
    expect(() => parseJunitXml('<testsuites><testsuite name="a">')).toThrow(/^JUnit report is not well-formed XML: .*\(line 1, column \d+\)$/);
    expect(() => parseJunitXml('<coverage line-rate="1"/>')).toThrow(new ReportError('not a JUnit XML report: no <testsuites> or <testsuite> root element'));
  });
});

describe('coverage', () => {
  it("reads Istanbul's coverage-summary.json (total.lines)", () => {
    expect(parseIstanbulSummary(fixture('coverage-summary.json'))).toEqual({ percentage: 60, lines: { covered: 3, total: 5 } });
    expect(parseCoverageReport('istanbul-summary', '{"total":{"lines":{"total":0,"covered":0,"skipped":0,"pct":"Unknown"}}}')).toEqual({
      percentage: 100,
      lines: { covered: 0, total: 0 },
    });
  });

  it('reads Cobertura XML (lines-covered/lines-valid, else line-rate and the classes’ lines)', () => {
    expect(parseCoberturaXml(fixture('cobertura-coverage.xml'))).toEqual({ percentage: 60, lines: { covered: 3, total: 5 } });
    const old = `<coverage line-rate="0.6667"><packages><package name="p"><classes>
        <class name="a"><lines><line number="1" hits="2"/><line number="2" hits="0"/></lines></class>
        <class name="b"><lines><line number="1" hits="1"/></lines></class>
      </classes></package></packages></coverage>`;
    expect(parseCoverageReport('cobertura-xml', old)).toEqual({ percentage: 66.67, lines: { covered: 2, total: 3 } });
  });

  it('throws a ReportError for malformed coverage reports', () => {
    expect(() => parseIstanbulSummary('not json')).toThrow(/^Istanbul coverage summary is not JSON: /);
    expect(() => parseIstanbulSummary('{"total":{"statements":{}}}')).toThrow(/^not an Istanbul coverage summary \(coverage-summary.json\):\n.*lines/s);
    expect(() => parseCoberturaXml('<coverage>')).toThrow(/^Cobertura report is not well-formed XML: /);
    expect(() => parseCoberturaXml('<testsuites/>')).toThrow(new ReportError('not a Cobertura XML report: no <coverage> root element'));
    expect(() => parseCoberturaXml('<coverage version="1"/>')).toThrow(
      new ReportError('not a Cobertura XML report: <coverage> has neither lines-valid/lines-covered nor line-rate'),
    );
  });
});
