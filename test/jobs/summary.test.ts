/** The main job's summary fits in 150 columns and keeps the long text in its details file (issue 8, section 6; issue 9 adds branch, commits, merged; issue 10 tokens and cost). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Phase } from '../../src/ticket/phases';
import type { TicketRunReport } from '../../src/jobs/drive-tickets';
import type { UsageTotals } from '../../src/agents/executions';
import { PATH_LEGEND, compactPath, compactTokens, costCell, summaryTable, totalsLine, writeDetails } from '../../src/jobs/summary';

const { BACKLOG, REQUIREMENTS, DESIGN, IMPLEMENTATION, TESTING, DEPLOYMENT, DONE, BLOCKED } = Phase;

function report(overrides: Partial<TicketRunReport>): TicketRunReport {
  return {
    externalId: 'ROADMAP-10.12',
    ticketId: '6f0c2a9e-0000-4000-8000-000000000000',
    title: 'A title far longer than any column of the table could hold without wrapping the terminal line',
    finalPhase: DONE,
    phasesVisited: [BACKLOG, REQUIREMENTS, DESIGN, IMPLEMENTATION, TESTING, DEPLOYMENT, DONE],
    transitions: 6,
    tasksCompleted: 19,
    taskExecutions: 21,
    gatesPassed: 5,
    gatesFailed: 0,
    interventions: [],
    contextTokens: 1873,
    branch: 'tickets/ROADMAP-10.12',
    commits: 4,
    merged: true,
    usage: usage({}),
    wallMs: 123_456,
    ...overrides,
  };
}

function usage(overrides: Partial<UsageTotals>): UsageTotals {
  return {
    executions: 21,
    inputTokens: 98_765,
    outputTokens: 12_345,
    cachedTokens: 50_000,
    costUsd: 0.123456,
    costSources: ['reported'],
    turns: 42,
    durationMs: 654_321,
    ...overrides,
  };
}

const reasonText = 'requirements_document: minLength 500 not met (328 characters); '.repeat(4);
const reports = [
  report({}),
  report({
    externalId: 'REALITY-1',
    phasesVisited: [
      BACKLOG,
      REQUIREMENTS,
      BLOCKED,
      REQUIREMENTS,
      BLOCKED,
      REQUIREMENTS,
      DESIGN,
      IMPLEMENTATION,
      TESTING,
      IMPLEMENTATION,
      TESTING,
      DEPLOYMENT,
      DONE,
    ],
    transitions: 12,
    gatesFailed: 4,
    usage: usage({ executions: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0, costSources: [], turns: 0, durationMs: 0 }),
    interventions: [{ blockedReason: reasonText, action: 'posted requirements_document (REALITY-1.requirements_document.md)' }],
  }),
  report({
    externalId: 'BROKEN-1',
    finalPhase: REQUIREMENTS,
    branch: undefined,
    commits: undefined,
    merged: false,
    usage: undefined,
    error: `POST /tickets → 503 SERVICE_UNAVAILABLE: ${'database unreachable '.repeat(10)}`,
  }),
];

describe('main job summary', () => {
  it('writes the visited phases as one letter each', () => {
    expect(compactPath([BACKLOG, REQUIREMENTS, BLOCKED, REQUIREMENTS, DESIGN, IMPLEMENTATION, TESTING, DEPLOYMENT, DONE])).toBe('BRXRDITP✓');
  });

  it('fits the table, its legend and the totals in 150 columns, with the path, counts, branch and result of each ticket', () => {
    const table = summaryTable(reports);
    const lines = [...table, PATH_LEGEND, ...totalsLine(reports, 600_000).split('\n')];
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(150);
    expect(table.find((line) => line.includes('REALITY-1'))).toMatch(
      /^REALITY-1 +BRXRXRDITITP✓ +12 +19 \(21\) +5\/4 +1 +1873 +tickets\/ROADMAP-10\.12 +4 +yes +0 +- +123\.5 +DONE$/,
    );
    expect(table.find((line) => line.includes('ROADMAP-10.12 '))).toMatch(/ +4 +yes +111k +\$0\.1235 +123\.5 +DONE$/);
    expect(table.find((line) => line.includes('BROKEN-1'))).toMatch(/ - +- +no +- +- +123\.5 +POST \/tickets…$/);
    expect(totalsLine(reports, 600_000)).toContain('2/3 tickets reached PHASE_DONE in 600.0 s; 24 transitions;');
    expect(totalsLine(reports, 600_000)).toContain('2 branches merged, 8 commits; 21 agent executions used 98.8k input and 12.3k output tokens, $0.1235');
    expect(totalsLine([reports[2]!], 1000)).toContain('0 commits; 0 agent executions used 0 input and 0 output tokens, no cost recorded');
  });

  it('writes token counts and costs compactly', () => {
    expect([0, 950, 1000, 12_345, 99_949, 100_000, 999_499, 1_000_000, 4_561_234].map(compactTokens)).toEqual([
      '0',
      '950',
      '1.0k',
      '12.3k',
      '99.9k',
      '100k',
      '999k',
      '1.00M',
      '4.56M',
    ]);
    expect(costCell(usage({ costUsd: 0.01234 }))).toBe('$0.0123');
    expect(costCell(usage({ costUsd: 0, costSources: [] }))).toBe('-');
    expect(costCell(undefined)).toBe('-');
  });

  it('keeps the titles, blocked reasons and whole errors in the details file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'summary-'));
    try {
      const file = await writeDetails(dir, reports, 600_000);
      const details = JSON.parse(readFileSync(file, 'utf8')) as { wallMs: number; tickets: TicketRunReport[] };
      expect(details.wallMs).toBe(600_000);
      expect(details.tickets.map((ticket) => ticket.title)).toEqual(reports.map((ticket) => ticket.title));
      expect(details.tickets[1]!.interventions[0]!.blockedReason).toBe(reasonText);
      expect(details.tickets[2]!.error).toBe(reports[2]!.error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
