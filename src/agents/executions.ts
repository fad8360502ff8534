/**
 * The executions of tasks by agent backends and what each used (issue 10, "Usage and cost"): one
 * `agent_executions` row per (task, attempt), written when the execution ended, with its tokens,
 * cost in USD (reported by the CLI or priced from the configuration), turns, duration and the
 * CLI's session ID; and their sums per task, phase and ticket (`GET /tasks/:id`, `GET /tickets/:id`,
 * the main job's table).
 */
import { Prisma, type PrismaClient } from '@prisma/client';
import type { AgentBackendType } from '../phase-work/tasks';
import type { Phase } from '../ticket/phases';
import type { CliUsage } from './cli/contracts';
import type { AgentUsage } from './protocol';

/** How one execution ended and what it used. */
export interface ExecutionRecord {
  taskId: string;
  /** The task's 1-based execution number (as `startExecution` returned it). */
  attempt: number;
  /** Backend name (configuration) or registered agent. */
  backend: string;
  backendType: AgentBackendType;
  model: string | null;
  status: 'completed' | 'failed';
  /** What a failure was (`rate_limited`, `api_error`, `auth`, `usage`, `max_turns`, `max_budget`, `protocol`, `process`, `idle_timeout`). */
  failureKind?: string | null;
  error?: string | null;
  usage: CliUsage;
  startedAt: Date;
  finishedAt: Date;
}

/** Usage of nothing: what a backend that reports none records. */
export const NO_USAGE: CliUsage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: null, costSource: null, turns: 0, sessionId: null };

/** The usage an http agent reported with its callback, as an execution stores it ({@link NO_USAGE} when it reported none); a cost it gives is `reported`. */
export function reportedUsage(usage: AgentUsage | undefined): CliUsage {
  if (!usage) return NO_USAGE;
  const { costUsd, sessionId, ...tokens } = usage;
  return { ...tokens, costUsd: costUsd ?? null, costSource: costUsd === undefined ? null : 'reported', sessionId: sessionId ?? null };
}

/**
 * Records one execution. Idempotent: a second call for the same (task, attempt) — an activity
 * retried after it recorded — changes nothing, so no execution is ever counted twice.
 */
export async function recordExecution(prisma: PrismaClient, record: ExecutionRecord): Promise<void> {
  const { usage } = record;
  await prisma.agentExecution.createMany({
    data: [
      {
        taskId: record.taskId,
        attempt: record.attempt,
        backend: record.backend,
        backendType: record.backendType,
        model: record.model,
        status: record.status,
        failureKind: record.failureKind ?? null,
        error: record.error ?? null,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cachedTokens: usage.cachedTokens,
        costUsd: usage.costUsd === null ? null : new Prisma.Decimal(usage.costUsd.toFixed(6)),
        costSource: usage.costSource,
        turns: usage.turns,
        durationMs: Math.max(0, record.finishedAt.getTime() - record.startedAt.getTime()),
        sessionId: usage.sessionId,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * The session a retry of `taskId` on `backend` may resume: that of the task's latest execution, when
 * it failed on the same backend and left a session ID; else null.
 */
export async function resumableSession(prisma: PrismaClient, taskId: string, backend: string): Promise<string | null> {
  const last = await prisma.agentExecution.findFirst({
    where: { taskId },
    orderBy: { attempt: 'desc' },
    select: { backend: true, status: true, sessionId: true },
  });
  return last && last.status === 'failed' && last.backend === backend ? last.sessionId : null;
}

/** Where an execution's cost came from: reported by the CLI, or priced from the configuration's `prices`. */
export type CostSource = 'reported' | 'priced';

/** What a set of executions used, summed (issue 10, "Usage and cost"). */
export interface UsageTotals {
  /** Executions counted (one per task attempt that ended). */
  executions: number;
  /** Tokens; input includes the cached part. */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** USD, rounded to 6 decimals; 0 when no execution has a cost. */
  costUsd: number;
  /** Where the summed costs came from, sorted (`[]` when none has a cost). */
  costSources: CostSource[];
  turns: number;
  /** Summed execution time, ms. */
  durationMs: number;
}

/** A ticket's usage: in total and per phase of the tasks (only phases with executions appear). */
export interface TicketUsage {
  total: UsageTotals;
  byPhase: Partial<Record<Phase, UsageTotals>>;
}

/** One execution as the API shows it (`GET /tasks/:id` → `executions`). */
export interface ExecutionView {
  attempt: number;
  backend: string;
  backendType: string;
  model: string | null;
  status: string;
  failureKind: string | null;
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** USD; null when the execution has no cost. */
  costUsd: number | null;
  costSource: CostSource | null;
  turns: number;
  durationMs: number;
  sessionId: string | null;
  startedAt: Date;
  finishedAt: Date;
}

/** One group of executions with a single cost source, as a query sums it. */
interface UsageGroup {
  costSource: string | null;
  executions: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: Prisma.Decimal | null;
  turns: number;
  durationMs: number;
}

/** Adds up `groups` (any number, including none). */
function totalsOf(groups: UsageGroup[]): UsageTotals {
  const sum = (pick: (group: UsageGroup) => number) => groups.reduce((total, group) => total + pick(group), 0);
  const cost = groups.reduce((total, group) => (group.costUsd === null ? total : total.add(group.costUsd)), new Prisma.Decimal(0));
  const sources = groups.filter((group) => group.costUsd !== null && group.costSource !== null).map((group) => group.costSource as CostSource);
  return {
    executions: sum((group) => group.executions),
    inputTokens: sum((group) => group.inputTokens),
    outputTokens: sum((group) => group.outputTokens),
    cachedTokens: sum((group) => group.cachedTokens),
    costUsd: Number(cost.toFixed(6)),
    costSources: [...new Set(sources)].sort(),
    turns: sum((group) => group.turns),
    durationMs: sum((group) => group.durationMs),
  };
}

/** The sums of a task's executions (zeros when it has none). One `groupBy` query (by cost source). */
export async function taskUsage(prisma: PrismaClient, taskId: string): Promise<UsageTotals> {
  const groups = await prisma.agentExecution.groupBy({
    by: ['costSource'],
    where: { taskId },
    _count: { _all: true },
    _sum: { inputTokens: true, outputTokens: true, cachedTokens: true, costUsd: true, turns: true, durationMs: true },
  });
  return totalsOf(
    groups.map(({ costSource, _count, _sum }) => ({
      costSource,
      executions: _count._all,
      inputTokens: _sum.inputTokens ?? 0,
      outputTokens: _sum.outputTokens ?? 0,
      cachedTokens: _sum.cachedTokens ?? 0,
      costUsd: _sum.costUsd,
      turns: _sum.turns ?? 0,
      durationMs: _sum.durationMs ?? 0,
    })),
  );
}

/**
 * The sums of a ticket's executions, in total and per phase (the phase of each execution's task).
 * One SQL query: Prisma's `groupBy` cannot group by a column of a related table, so this one
 * joins `tasks` and groups by phase and cost source itself. Zeros (and `byPhase: {}`) when the
 * ticket has none, or does not exist.
 */
export async function ticketUsage(prisma: PrismaClient, ticketId: string): Promise<TicketUsage> {
  const rows = await prisma.$queryRaw<(UsageGroup & { phase: Phase })[]>`
    SELECT t.phase_id AS phase, e.cost_source AS "costSource", count(*)::int AS executions,
           sum(e.input_tokens)::float8 AS "inputTokens", sum(e.output_tokens)::float8 AS "outputTokens",
           sum(e.cached_tokens)::float8 AS "cachedTokens", sum(e.cost_usd) AS "costUsd",
           sum(e.turns)::float8 AS turns, sum(e.duration_ms)::float8 AS "durationMs"
      FROM agent_executions e JOIN tasks t ON t.id = e.task_id
     WHERE t.ticket_id = ${ticketId}::uuid
     GROUP BY t.phase_id, e.cost_source`;
  const phases = [...new Set(rows.map((row) => row.phase))];
  return {
    total: totalsOf(rows),
    byPhase: Object.fromEntries(phases.map((phase) => [phase, totalsOf(rows.filter((row) => row.phase === phase))])),
  };
}

/** A task's executions, oldest attempt first (`[]` when it has none). */
export async function taskExecutions(prisma: PrismaClient, taskId: string): Promise<ExecutionView[]> {
  const rows = await prisma.agentExecution.findMany({ where: { taskId }, orderBy: { attempt: 'asc' } });
  return rows.map(({ id: _id, taskId: _task, costUsd, costSource, ...row }) => ({
    ...row,
    costUsd: costUsd === null ? null : costUsd.toNumber(),
    costSource: costSource as CostSource | null,
  }));
}
