/**
 * The main job (`npm start [-- [--once] [--agent <cli>] [tickets.json ...]]`): starts the stack, imports the tickets
 * (default: ../shared/data/roadmap-tickets.json, then examples/tickets/reality-tickets.json), and
 * lets each ticket's workflow work it through every phase with the agents of
 * config/orchestrator.json and real gate verdicts. A ticket blocked by its gate is shown with its
 * reasons and unblocked through the API with a reviewer's document from examples/reviews/. Prints
 * a summary table and the Web UI address, then keeps the stack up until Ctrl-C, or with `--once`
 * exits: status 0 only if every ticket reached PHASE_DONE. `--record-histories <dir>` writes the
 * workflow histories of up to four tickets per distinct phase path there as JSON (the replay
 * fixtures of test/fixtures/histories). `--agent claude-code|codex|gemini-cli|aider` puts that
 * coding-agent CLI on every capability instead of the configured backends (issue 10; model and
 * endpoints from the environment, src/agents/cli/agent-override.ts); an unknown one exits 2.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isCliBackendType } from '../agents/cli/agent-override';
import { CLI_BACKEND_TYPES } from '../agents/cli/config';
import { loadConfig } from '../platform/config';
import { Phase } from '../ticket/phases';
import { ticketWorkflowId } from '../ticket/ticket';
import { driveTickets, type TicketRunReport } from '../jobs/drive-tickets';
import { readTicketFile } from '../jobs/roadmap-file';
import { PATH_LEGEND, summaryTable, totalsLine, writeDetails } from '../jobs/summary';
import { createLogger } from '../platform/logger';
import { startStack } from '../stack';
import { recordHistories } from '../platform/histories';

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_TICKET_FILES = [
  path.resolve(ROOT, '..', 'shared', 'data', 'roadmap-tickets.json'),
  path.join(ROOT, 'examples', 'tickets', 'reality-tickets.json'),
];
const REVIEWS_DIR = path.join(ROOT, 'examples', 'reviews');
const HISTORIES_PER_PATH = 4;

/** Exit status of a command line the job cannot run (an unknown `--agent`). */
const EXIT_USAGE = 2;

/** Prints the summary table (within 150 columns), its legend and the totals, and where the details are. */
async function printSummary(reports: TicketRunReport[], wallMs: number, detailsDir: string): Promise<void> {
  for (const line of summaryTable(reports)) console.log(line);
  console.log(PATH_LEGEND);
  console.log(totalsLine(reports, wallMs));
  console.log(`details (titles, blocked reasons, reviewer actions, errors): ${await writeDetails(detailsDir, reports, wallMs)}`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { once: { type: 'boolean', default: false }, 'record-histories': { type: 'string' }, agent: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.agent !== undefined) {
    if (!isCliBackendType(values.agent)) {
      console.error(`unknown agent "${values.agent}": --agent takes one of ${CLI_BACKEND_TYPES.join(', ')}`);
      return EXIT_USAGE;
    }
    // Through the environment, so the agent queue's worker process (a child) runs the same backend.
    process.env.ORCHESTRATOR_AGENT = values.agent;
  }
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const ticketFiles = positionals.length ? positionals.map((file) => path.resolve(file)) : DEFAULT_TICKET_FILES;
  const entries = (await Promise.all(ticketFiles.map(readTicketFile))).flat();

  const stack = await startStack(config, log);
  try {
    const started = Date.now();
    const agents = config.ORCHESTRATOR_AGENT ?? 'the configured agents';
    console.log(`importing ${entries.length} tickets from ${ticketFiles.join(', ')}; ${agents} and gates take them through the phases`);
    const reports = await driveTickets(entries, {
      apiUrl: stack.apiUrl,
      reviewsDir: REVIEWS_DIR,
      onBlocked: (externalId, { blockedReason, action }) => console.log(`  BLOCKED ${externalId}: ${blockedReason}\n          reviewer: ${action}`),
      onTicketDone: (report, done, total) =>
        console.log(
          `[${String(done).padStart(2)}/${total}] ${report.externalId.padEnd(12)} ${report.error ?? report.finalPhase} ` +
            `(${report.transitions} transitions, ${report.tasksCompleted} tasks, gates ${report.gatesPassed}/${report.gatesFailed}, ${report.wallMs} ms)`,
        ),
    });
    await printSummary(reports, Date.now() - started, path.join(config.DATA_DIR, 'reports'));
    const query = encodeURIComponent(`TicketPhase="${Phase.DONE}"`);
    console.log(`Temporal Web UI: ${stack.uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=${query}`);
    console.log(`REST API: ${stack.apiUrl}/tickets`);
    const allDone = reports.every((report) => report.finalPhase === Phase.DONE);
    if (values['record-histories']) {
      // Up to HISTORIES_PER_PATH tickets of each distinct phase path: more of the same path add no coverage.
      const perPath = new Map<string, number>();
      const chosen = reports.filter((report) => {
        const key = report.phasesVisited.join('>');
        perPath.set(key, (perPath.get(key) ?? 0) + 1);
        return perPath.get(key)! <= HISTORIES_PER_PATH;
      });
      const workflows = Object.fromEntries(chosen.map((report) => [report.externalId, ticketWorkflowId(report.ticketId)]));
      const files = await recordHistories(stack.temporal, workflows, path.resolve(values['record-histories']));
      console.log(`recorded ${files.length} workflow histories in ${values['record-histories']}`);
    }

    if (!values.once) {
      console.log('The stack stays up; press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return allDone ? 0 : 1;
  } finally {
    console.log('stopping the stack');
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
