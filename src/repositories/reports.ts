/**
 * Reads the reports a repository's test command writes: test results (Jest's `--json` output, JUnit
 * XML) into counts and the failing tests' names with the first line of their message, and coverage
 * (Istanbul's `coverage-summary.json`, Cobertura XML) into line coverage. Issue 9, "Artifacts from
 * the repository, verified by the orchestrator": the gate trusts these, not an agent's claims.
 * Pure functions of the report's text; a report that cannot be read throws {@link ReportError}.
 */
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { CoverageFormat, TestReportFormat } from './contracts';

/** A report that is not valid for its format (not JSON/XML, or missing what the format requires). */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

/** What a test report says. */
export interface TestReport {
  /** Every test, including skipped ones and test files that failed to run (each counted as one failed test). */
  numTotalTests: number;
  numPassedTests: number;
  /** Failed tests, plus test files (suites) that failed outside any test (e.g. could not load). */
  numFailedTests: number;
  /** One entry per failure: `<name>: <first line of its message>` (names joined with ` › `). */
  failures: string[];
}

/** What a coverage report says about lines. */
export interface CoverageReport {
  /** Line coverage, percent (0–100, two decimals); 100 when there is no line to cover, as Istanbul reports it. */
  percentage: number;
  lines: { covered: number; total: number };
}

/** Options of {@link parseTestReport}. */
export interface TestReportOptions {
  /** Absolute test file paths in the report are shown relative to this directory (the tree). */
  root?: string;
}

/** The first non-empty line of `message`, without terminal colours; the `● Test suite failed to run` header of Jest is skipped. */
function firstLine(message: string): string {
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('●'));
  return lines[0] ?? '(no message)';
}

const failure = (name: string, message: string) => `${name}: ${firstLine(message)}`;

const relativeTo = (root: string | undefined, file: string) =>
  root && path.isAbsolute(file) && !path.relative(root, file).startsWith('..') ? path.relative(root, file) : file;

/**
 * `text` as JSON of `schema`.
 *
 * @throws ReportError `<what> is not JSON: …` or `not <expected>:` with what is wrong
 */
function parseJsonReport<Schema extends z.ZodType>(text: string, schema: Schema, what: string, expected: string): z.infer<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReportError(`${what} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ReportError(`not ${expected}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const count = z.number().int().nonnegative();
const jestReportSchema = z.object({
  numTotalTests: count,
  numPassedTests: count,
  numFailedTests: count,
  testResults: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      message: z.string().optional(),
      assertionResults: z.array(
        z.object({
          status: z.string(),
          title: z.string().optional(),
          fullName: z.string().optional(),
          ancestorTitles: z.array(z.string()).optional(),
          failureMessages: z.array(z.string()).optional(),
        }),
      ),
    }),
  ),
});

/**
 * Reads Jest's `--json` output. A failed test is named by its describe blocks and title
 * (`adds › sums two numbers`); a test file whose status is `failed` without a failed test in it
 * (it could not load, or a hook failed) counts as one failed test named by its path.
 *
 * @throws ReportError when `text` is not JSON or lacks the counts or `testResults`
 */
export function parseJestJson(text: string, options: TestReportOptions = {}): TestReport {
  const report = parseJsonReport(text, jestReportSchema, 'Jest JSON report', 'a Jest JSON report (jest --json)');
  const failures: string[] = [];
  let failedSuites = 0;
  for (const suite of report.testResults) {
    const failed = suite.assertionResults.filter((test) => test.status === 'failed');
    for (const test of failed) {
      const name = test.title !== undefined ? [...(test.ancestorTitles ?? []), test.title].join(' › ') : (test.fullName ?? '(unnamed test)');
      failures.push(failure(name, test.failureMessages?.[0] ?? ''));
    }
    if (suite.status === 'failed' && failed.length === 0) {
      failedSuites++;
      failures.push(failure(relativeTo(options.root, suite.name), suite.message ?? 'test file failed to run'));
    }
  }
  return {
    numTotalTests: report.numTotalTests + failedSuites,
    numPassedTests: report.numPassedTests,
    numFailedTests: report.numFailedTests + failedSuites,
    failures,
  };
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped', 'package', 'class', 'line'].includes(name),
});

/** A parsed XML element: attributes as `@_name`, text as `#text`, children by tag name (arrays for the tags above). */
type XmlElement = Record<string, unknown>;

function parseXml(text: string, what: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ReportError(`${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  return xmlParser.parse(text) as XmlElement;
}

const children = (element: XmlElement, tag: string): XmlElement[] =>
  ((element[tag] as unknown[] | undefined) ?? []).map((child) => (typeof child === 'object' && child !== null ? (child as XmlElement) : { '#text': child }));
const attribute = (element: XmlElement, name: string): string | undefined => {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
};
const numberAttribute = (element: XmlElement, name: string): number | undefined => {
  const value = attribute(element, name);
  return value === undefined || value.trim() === '' || !Number.isFinite(Number(value)) ? undefined : Number(value);
};

/** A `<failure>` or `<error>`'s message: its `message` attribute, else its text. */
const problemMessage = (problem: XmlElement) => {
  const text = problem['#text'];
  return attribute(problem, 'message')?.trim() || (typeof text === 'string' ? text : '');
};

/** `segments` joined with ` › `, leaving out empty ones and one the next already begins with (jest-junit repeats the suite in each name). */
function testName(segments: (string | undefined)[]): string {
  const present = segments.filter((segment): segment is string => segment !== undefined && segment !== '');
  return present.filter((segment, i) => i === present.length - 1 || !present[i + 1]!.startsWith(segment)).join(' › ') || '(unnamed test)';
}

/**
 * Reads JUnit XML (`<testsuites>` or a single `<testsuite>` root, suites nested at any depth). A
 * test case with a `<failure>` or `<error>` failed, one with `<skipped>` was skipped (counted in the
 * total only). A test is named by its enclosing suites and its name (by its `classname` and name
 * when no suite encloses it). A suite that reports errors or failures but holds no test case (it
 * failed to run) counts as one failed test.
 *
 * @throws ReportError when `text` is not well-formed XML or has no `<testsuites>`/`<testsuite>` root
 */
export function parseJunitXml(text: string): TestReport {
  const document = parseXml(text, 'JUnit report');
  const top = 'testsuites' in document ? document.testsuites : 'testsuite' in document ? { testsuite: document.testsuite } : undefined;
  if (top === undefined) throw new ReportError('not a JUnit XML report: no <testsuites> or <testsuite> root element');
  const root = typeof top === 'object' && top !== null ? (top as XmlElement) : {}; // `<testsuites/>`: no test
  const report: TestReport = { numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, failures: [] };

  /** Counts the test cases under `suite`; returns how many there were. */
  const visit = (suite: XmlElement, chain: string[]): number => {
    let cases = 0;
    for (const testcase of children(suite, 'testcase')) {
      cases++;
      report.numTotalTests++;
      const problem = [...children(testcase, 'failure'), ...children(testcase, 'error')][0];
      if (problem) {
        report.numFailedTests++;
        const scope = chain.length > 0 ? chain : [attribute(testcase, 'classname')];
        report.failures.push(failure(testName([...scope, attribute(testcase, 'name')]), problemMessage(problem)));
      } else if (children(testcase, 'skipped').length === 0) report.numPassedTests++;
    }
    for (const nested of children(suite, 'testsuite')) cases += visit(nested, [...chain, attribute(nested, 'name') ?? '']);
    const problems = (numberAttribute(suite, 'errors') ?? 0) + (numberAttribute(suite, 'failures') ?? 0);
    const own = [...children(suite, 'error'), ...children(suite, 'failure')][0];
    if (cases === 0 && chain.length > 0 && (problems > 0 || own)) {
      report.numTotalTests++;
      report.numFailedTests++;
      report.failures.push(failure(testName(chain), own ? problemMessage(own) : `the suite failed to run (${problems} errors, no test case)`));
    }
    return cases;
  };
  visit(root, []);
  return report;
}

/**
 * Reads a test report of `format`.
 *
 * @throws ReportError when it is malformed
 */
export function parseTestReport(format: TestReportFormat, text: string, options: TestReportOptions = {}): TestReport {
  return format === 'jest-json' ? parseJestJson(text, options) : parseJunitXml(text);
}

const round = (percent: number) => Math.round(percent * 100) / 100;

const istanbulSummarySchema = z.object({
  total: z.object({ lines: z.object({ total: count, covered: count, pct: z.union([z.number(), z.string()]).optional() }) }),
});

/**
 * Reads Istanbul's `coverage-summary.json` (`json-summary` reporter): `total.lines`.
 *
 * @throws ReportError when `text` is not JSON or has no `total.lines` counts
 */
export function parseIstanbulSummary(text: string): CoverageReport {
  const summary = parseJsonReport(text, istanbulSummarySchema, 'Istanbul coverage summary', 'an Istanbul coverage summary (coverage-summary.json)');
  const { total, covered, pct } = summary.total.lines;
  // Istanbul writes `pct: "Unknown"` (older versions) when there is no line.
  const percentage = typeof pct === 'number' ? pct : total === 0 ? 100 : round((covered / total) * 100);
  return { percentage, lines: { covered, total } };
}

/**
 * Reads Cobertura XML: the `<coverage>` element's `lines-covered`/`lines-valid`, or, without them,
 * its `line-rate` and the classes' `<line>` elements (covered when `hits` > 0).
 *
 * @throws ReportError when `text` is not well-formed XML, has no `<coverage>` root, or neither counts nor `line-rate`
 */
export function parseCoberturaXml(text: string): CoverageReport {
  const coverage = parseXml(text, 'Cobertura report').coverage;
  if (coverage === undefined || typeof coverage !== 'object' || coverage === null)
    throw new ReportError('not a Cobertura XML report: no <coverage> root element');
  const root = coverage as XmlElement;
  const valid = numberAttribute(root, 'lines-valid');
  const covered = numberAttribute(root, 'lines-covered');
  if (valid !== undefined && covered !== undefined) {
    return { percentage: valid === 0 ? 100 : round((covered / valid) * 100), lines: { covered, total: valid } };
  }
  const rate = numberAttribute(root, 'line-rate');
  if (rate === undefined) throw new ReportError('not a Cobertura XML report: <coverage> has neither lines-valid/lines-covered nor line-rate');
  const lines = [root.packages as XmlElement | undefined]
    .flatMap((packages) => (packages ? children(packages, 'package') : []))
    .flatMap((pkg) => (pkg.classes ? children(pkg.classes as XmlElement, 'class') : []))
    .flatMap((cls) => (cls.lines ? children(cls.lines as XmlElement, 'line') : []));
  const hit = lines.filter((line) => (numberAttribute(line, 'hits') ?? 0) > 0).length;
  return { percentage: round(rate * 100), lines: { covered: hit, total: lines.length } };
}

/**
 * Reads a coverage report of `format`.
 *
 * @throws ReportError when it is malformed
 */
export function parseCoverageReport(format: CoverageFormat, text: string): CoverageReport {
  return format === 'istanbul-summary' ? parseIstanbulSummary(text) : parseCoberturaXml(text);
}
