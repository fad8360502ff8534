/**
 * The main job's driver: imports tickets through the REST API and walks each through the phase
 * state machine to PHASE_DONE with transition requests (seed 002, Stream E), several tickets at a
 * time. Uses only HTTP, as an outside client would.
 */
import { Phase, PHASE_SEQUENCE, isPhase } from '../domain/phases';
import type { TicketFileEntry } from './roadmap-file';

/** What happened to one ticket. */
export interface TicketRunReport {
  externalId: string;
  ticketId: string;
  title: string;
  finalPhase: Phase;
  /** Phases the ticket has been in, in order, from its persisted history. */
  phasesVisited: Phase[];
  /** Accepted transitions in its history. */
  transitions: number;
  /** Wall time of this ticket's import and transitions, ms. */
  wallMs: number;
  /** Set when the ticket could not be driven to the end. */
  error?: string;
}

/** Options of {@link driveTickets}. */
export interface DriveOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000/api/v1`. */
  apiUrl: string;
  /** Tickets driven at the same time (default 4). */
  concurrency?: number;
  /** Called after each ticket finishes, with its report and how many are done. */
  onTicketDone?: (report: TicketRunReport, done: number, total: number) => void;
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${payload.error?.code}: ${payload.error?.message}`);
  return payload;
}

async function driveOne(apiUrl: string, entry: TicketFileEntry): Promise<TicketRunReport> {
  const started = Date.now();
  const ticket = await call<{ id: string; phaseId: string }>('POST', `${apiUrl}/tickets`, entry);
  const report: TicketRunReport = {
    externalId: entry.externalId,
    ticketId: ticket.id,
    title: entry.title,
    finalPhase: isPhase(ticket.phaseId) ? ticket.phaseId : Phase.BACKLOG,
    phasesVisited: [],
    transitions: 0,
    wallMs: 0,
  };
  try {
    for (const toPhase of PHASE_SEQUENCE.slice(PHASE_SEQUENCE.indexOf(report.finalPhase) + 1)) {
      const state = await call<{ phase: Phase }>('POST', `${apiUrl}/tickets/${ticket.id}/transition`, {
        toPhase,
        reason: `main job: ${report.finalPhase} complete`,
        transitionedBy: 'roadmap-runner',
        requestId: `${entry.externalId}:${toPhase}`,
      });
      report.finalPhase = state.phase;
    }
  } catch (error) {
    report.error = (error as Error).message;
  }
  const history = await call<{ items: { fromPhase: Phase; toPhase: Phase }[] }>('GET', `${apiUrl}/tickets/${ticket.id}/phase-history`);
  report.phasesVisited = history.items.length ? [history.items[0]!.fromPhase, ...history.items.map((row) => row.toPhase)] : [report.finalPhase];
  report.transitions = history.items.length;
  report.wallMs = Date.now() - started;
  return report;
}

/**
 * Imports and drives every entry; never throws for one ticket's failure (it is in its report).
 *
 * @returns one report per entry, in input order.
 */
export async function driveTickets(entries: TicketFileEntry[], options: DriveOptions): Promise<TicketRunReport[]> {
  const reports: TicketRunReport[] = new Array(entries.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < entries.length) {
      const index = next++;
      reports[index] = await driveOne(options.apiUrl, entries[index]!);
      options.onTicketDone?.(reports[index]!, ++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, entries.length) }, lane));
  return reports;
}
