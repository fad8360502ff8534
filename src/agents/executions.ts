/**
 * The executions of tasks by agent backends and what each used (issue 10, "Usage and cost"): one
 * `agent_executions` row per (task, attempt), written when the execution ended, with its tokens,
 * cost in USD (reported by the CLI or priced from the configuration), turns, duration and the
 * CLI's session ID.
 */
import { Prisma, type PrismaClient } from '@prisma/client';
import type { AgentBackendType } from '../phase-work/tasks';
import type { CliUsage } from './cli/contracts';

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
