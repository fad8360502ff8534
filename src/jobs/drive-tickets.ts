/**
 * The main job's driver, an outside client of the REST API: imports tickets (auto policy), lets
 * their workflows work them through every phase with agents and gates, and watches until each is
 * done or blocked. For a blocked ticket it acts as the reviewer a team would have: when a review
 * directory holds a document for the ticket (`<externalId>.<artifact_type>.md`), it posts that
 * artifact through POST /tickets/:id/artifacts, which unblocks the ticket once its gate passes; for
 * a ticket blocked for clarification (issue 11) it answers the question from
 * `<externalId>.acceptance_criteria.md` (one criterion per `- ` line) through PATCH /tickets/:id,
 * which runs the phase again with the criteria.
 * Seeds: 001/002 Streams E–H; 004 milestones 1.2 and 1.4.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TicketUsage, UsageTotals } from '../agents/executions';
import { Phase, isPhase } from '../ticket/phases';
import type { TicketFileEntry } from './roadmap-file';
import { INTEGRATE_TASK_TYPE } from '../repositories/contracts';

/** One reviewer intervention: what was blocked and what was posted. */
export interface Intervention {
  blockedReason: string;
  /** The artifact posted, `type (file)`, or why none was. */
  action: string;
}

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
  /** Tasks the agents ran (completed ones) and task executions (attempts, retries included). */
  tasksCompleted: number;
  taskExecutions: number;
  /** Gate validations by verdict. */
  gatesPassed: number;
  gatesFailed: number;
  /** Each time the ticket was blocked, and what the reviewer did. */
  interventions: Intervention[];
  /** The ticket's branch in its repository (issue 9), if it has one. */
  branch?: string;
  /** Commits the ticket's work made on its branch (counted when DEPLOYMENT integrated it). */
  commits?: number;
  /** Whether DEPLOYMENT merged the branch into the default branch. */
  merged: boolean;
  /** What its agent executions used, summed (issue 10; `GET /tickets/:id` → `usage.total`). */
  usage?: UsageTotals;
  /** Size of the ticket's final context summary, in cl100k_base tokens. */
  contextTokens: number;
  /** Wall time from import to the final phase, ms. */
  wallMs: number;
  /** Set when the ticket could not be driven to the end. */
  error?: string;
}

/** Options of {@link driveTickets}. */
export interface DriveOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000/api/v1`. */
  apiUrl: string;
  /** Directory of reviewer documents (`<externalId>.<artifact_type>.md`); none means no reviewer. */
  reviewsDir?: string;
  /** Give up on a ticket after this long, ms (default 10 min). */
  timeoutMs?: number;
  /** Called after each ticket finishes, with its report and how many are done. */
  onTicketDone?: (report: TicketRunReport, done: number, total: number) => void;
  /** Called when a ticket is blocked, with the reason and the reviewer's action. */
  onBlocked?: (externalId: string, intervention: Intervention) => void;
}

interface ApiTicketState {
  phase: Phase;
  blocked: { fromPhase: Phase; cause: string; reason: string } | null;
  transitionCount: number;
}

const POLL_MS = 250;

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

/** The reviewer's document for a blocked ticket, if the review directory has one. */
async function reviewDocument(reviewsDir: string | undefined, externalId: string, artifactType: string): Promise<{ file: string; text: string } | undefined> {
  if (!reviewsDir) return undefined;
  const file = path.join(reviewsDir, `${externalId}.${artifactType}.md`);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { file, text };
}

/** Who the main job's reviewer is, as recorded on what it posts and on the transitions it causes. */
const REVIEWER = 'reviewer (main job)';

/** The review file's name part of a ticket's acceptance criteria (issue 11): `<externalId>.acceptance_criteria.md`. */
const CRITERIA_REVIEW = 'acceptance_criteria';

/** The acceptance criteria of a review file: each `- ` or `* ` list item, trimmed. */
export function criteriaOf(markdown: string): string[] {
  return [...markdown.matchAll(/^\s*[-*]\s+(.+?)\s*$/gm)].map((match) => match[1]!);
}

/** Artifact types named by a blocked reason's gate criteria, e.g. `requirements_document: minLength …`. */
const blockedArtifactTypes = (reason: string) => [...new Set([...reason.matchAll(/(?:^|; |: )([a-z][a-z0-9_]+): /g)].map((match) => match[1]!))];

/**
 * Waits until the ticket is done or newly blocked (its version passed `afterVersion`): polls the
 * persisted ticket, and asks the workflow for the block's cause only when it is blocked.
 */
async function settle(apiUrl: string, ticketId: string, afterVersion: number, deadline: number): Promise<ApiTicketState> {
  for (;;) {
    const ticket = await call<{ phaseId: Phase; version: number }>('GET', `${apiUrl}/tickets/${ticketId}`);
    if (ticket.phaseId === Phase.DONE) return { phase: Phase.DONE, blocked: null, transitionCount: ticket.version };
    if (ticket.phaseId === Phase.BLOCKED && ticket.version > afterVersion) return call<ApiTicketState>('GET', `${apiUrl}/tickets/${ticketId}/state`);
    if (Date.now() > deadline) throw new Error(`still in ${ticket.phaseId} after the time limit`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function driveOne(entry: TicketFileEntry, options: DriveOptions): Promise<TicketRunReport> {
  const { apiUrl } = options;
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 600_000);
  const report: TicketRunReport = {
    externalId: entry.externalId,
    ticketId: '',
    title: entry.title,
    finalPhase: Phase.BACKLOG,
    phasesVisited: [],
    transitions: 0,
    tasksCompleted: 0,
    taskExecutions: 0,
    gatesPassed: 0,
    gatesFailed: 0,
    interventions: [],
    merged: false,
    contextTokens: 0,
    wallMs: 0,
  };
  try {
    const ticket = await call<{ id: string; phaseId: string }>('POST', `${apiUrl}/tickets`, { ...entry, policy: 'auto' });
    report.ticketId = ticket.id;
    if (isPhase(ticket.phaseId)) report.finalPhase = ticket.phaseId;
    let seen = -1;
    for (;;) {
      const state = await settle(apiUrl, ticket.id, seen, deadline);
      report.finalPhase = state.phase;
      if (state.phase === Phase.DONE) break;
      seen = state.transitionCount;
      const reason = state.blocked?.reason ?? 'blocked';
      if (state.blocked?.cause === 'needs_clarification') {
        const answer = await reviewDocument(options.reviewsDir, entry.externalId, CRITERIA_REVIEW);
        const criteria = answer ? criteriaOf(answer.text) : [];
        const intervention: Intervention = {
          blockedReason: reason,
          action:
            criteria.length > 0 ? `answered with ${criteria.length} acceptance criteria (${path.basename(answer!.file)})` : 'no reviewer answer; left blocked',
        };
        report.interventions.push(intervention);
        options.onBlocked?.(entry.externalId, intervention);
        if (criteria.length === 0 || report.interventions.length > 3) break;
        await call('PATCH', `${apiUrl}/tickets/${ticket.id}`, { acceptanceCriteria: criteria, updatedBy: REVIEWER });
        continue;
      }
      const fix = state.blocked?.cause === 'gate' ? await firstReview(options.reviewsDir, entry.externalId, reason) : undefined;
      const intervention: Intervention = {
        blockedReason: reason,
        action: fix ? `posted ${fix.type} (${path.basename(fix.file)})` : 'no reviewer document; left blocked',
      };
      report.interventions.push(intervention);
      options.onBlocked?.(entry.externalId, intervention);
      if (!fix || report.interventions.length > 3) break;
      await call('POST', `${apiUrl}/tickets/${ticket.id}/artifacts`, {
        artifactType: fix.type,
        artifactPath: `reviews/${path.basename(fix.file)}`,
        content: { text: fix.text, format: 'markdown' },
        collectedBy: REVIEWER,
      });
    }
  } catch (error) {
    report.error = (error as Error).message;
  }
  report.wallMs = Date.now() - started;
  if (report.ticketId) await fillFigures(apiUrl, report).catch((error: unknown) => (report.error ??= (error as Error).message));
  return report;
}

async function firstReview(reviewsDir: string | undefined, externalId: string, reason: string) {
  for (const type of blockedArtifactTypes(reason)) {
    const document = await reviewDocument(reviewsDir, externalId, type);
    if (document) return { type, ...document };
  }
  return undefined;
}

/** Adds history, task, gate, context and usage figures from the API to `report`. */
async function fillFigures(apiUrl: string, report: TicketRunReport): Promise<void> {
  const id = report.ticketId;
  const [ticket, history, tasks, context, gates] = await Promise.all([
    call<{ branch: string | null; mergeCommit: string | null; usage: TicketUsage }>('GET', `${apiUrl}/tickets/${id}`),
    call<{ items: { fromPhase: Phase; toPhase: Phase }[] }>('GET', `${apiUrl}/tickets/${id}/phase-history`),
    call<{ items: { taskType: string; status: string; attempts: number; result: { output?: { commits?: number } } | null }[] }>(
      'GET',
      `${apiUrl}/tickets/${id}/tasks`,
    ),
    call<{ phases: { summaryTokens: number }[] }>('GET', `${apiUrl}/tickets/${id}/context`),
    call<{ items: { gateStatus: string }[] }>('GET', `${apiUrl}/tickets/${id}/gate-results`),
  ]);
  report.branch = ticket.branch ?? undefined;
  report.merged = ticket.mergeCommit !== null;
  report.usage = ticket.usage.total;
  report.commits = tasks.items.find((task) => task.taskType === INTEGRATE_TASK_TYPE)?.result?.output?.commits;
  report.phasesVisited = history.items.length ? [history.items[0]!.fromPhase, ...history.items.map((row) => row.toPhase)] : [report.finalPhase];
  report.transitions = history.items.length;
  report.tasksCompleted = tasks.items.filter((task) => task.status === 'completed').length;
  report.taskExecutions = tasks.items.reduce((sum, task) => sum + task.attempts, 0);
  report.contextTokens = context.phases.at(-1)?.summaryTokens ?? 0;
  report.gatesPassed = gates.items.filter((gate) => gate.gateStatus === 'passed').length;
  report.gatesFailed = gates.items.length - report.gatesPassed;
}

/**
 * Imports and drives every entry, `concurrency` tickets at a time (default 4); never throws for
 * one ticket's failure (it is in its report).
 *
 * @returns one report per entry, in input order.
 */
export async function driveTickets(entries: TicketFileEntry[], options: DriveOptions & { concurrency?: number }): Promise<TicketRunReport[]> {
  const reports: TicketRunReport[] = [];
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < entries.length) {
      const index = next++;
      const report = await driveOne(entries[index]!, options);
      reports[index] = report;
      options.onTicketDone?.(report, ++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, entries.length) }, lane));
  return reports;
}
