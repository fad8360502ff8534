/**
 * The main job (`npm start [-- [--once] [tickets.json]]`): starts the stack, imports the tickets
 * (default: ../shared/data/roadmap-tickets.json), drives each to PHASE_DONE over the REST API,
 * prints a summary table and the Web UI address, then keeps the stack up until Ctrl-C, or with
 * `--once` exits: status 0 only if every ticket reached PHASE_DONE.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { Phase } from '../domain/phases';
import { driveTickets, type TicketRunReport } from '../jobs/drive-tickets';
import { readTicketFile } from '../jobs/roadmap-file';
import { createLogger } from '../logger';
import { startStack } from '../stack';

const DEFAULT_TICKETS = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'roadmap-tickets.json');

const short = (phase: Phase) => phase.replace('PHASE_', '');

function printSummary(reports: TicketRunReport[], wallMs: number): void {
  console.table(
    reports.map((report) => ({
      ticket: report.externalId,
      title: report.title.slice(0, 40),
      phases: report.phasesVisited.map(short).join('>'),
      transitions: report.transitions,
      'wall (s)': (report.wallMs / 1000).toFixed(2),
      result: report.error ?? short(report.finalPhase),
    })),
  );
  const done = reports.filter((report) => report.finalPhase === Phase.DONE).length;
  const transitions = reports.reduce((sum, report) => sum + report.transitions, 0);
  console.log(`${done}/${reports.length} tickets reached PHASE_DONE; ${transitions} transitions; ${(wallMs / 1000).toFixed(1)} s wall time`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { once: { type: 'boolean', default: false } }, allowPositionals: true });
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const ticketFile = path.resolve(positionals[0] ?? DEFAULT_TICKETS);
  const entries = await readTicketFile(ticketFile);

  const stack = await startStack(config, log);
  const started = Date.now();
  console.log(`importing ${entries.length} tickets from ${ticketFile} and driving them to PHASE_DONE`);
  const reports = await driveTickets(entries, {
    apiUrl: stack.apiUrl,
    onTicketDone: (report, done, total) =>
      console.log(`[${String(done).padStart(2)}/${total}] ${report.externalId.padEnd(12)} ${report.error ?? report.finalPhase} (${report.transitions} transitions, ${report.wallMs} ms)`),
  });
  printSummary(reports, Date.now() - started);
  const query = encodeURIComponent(`TicketPhase="${Phase.DONE}"`);
  console.log(`Temporal Web UI: ${stack.uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=${query}`);
  console.log(`REST API: ${stack.apiUrl}/tickets`);
  const allDone = reports.every((report) => report.finalPhase === Phase.DONE);

  if (!values.once) {
    console.log('The stack stays up; press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
  console.log('stopping the stack');
  await stack.stop();
  return allDone ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
