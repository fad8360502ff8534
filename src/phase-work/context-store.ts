/**
 * A ticket's context rows (seed 002, Stream H: `aggregate_phase_context`, `update_ticket_context`,
 * `summarize_context(max_tokens=2000)`): one `phase_context` row per phase run, aggregated from
 * its completed tasks, and the ticket's context and summary derived from those rows.
 */
import type { Prisma, PrismaClient } from '@prisma/client';
import { DEFAULT_SUMMARY_TOKENS, contextForPhase, phaseContextKey, summarizeContext, type PhaseContext, type TicketContext } from './context-summary';
import { PHASE_SEQUENCE, nextInSequence, type Phase } from '../ticket/phases';
import { TaskStatus } from './tasks';
import { VALIDATION_TASK_TYPE, type ContextUpdate, type PhaseRunRef } from './contracts';
import { loadTicket, runArtifacts, runWhere } from './run-store';
import { taskOutput } from '../agents/protocol';

/**
 * One phase's context from its tasks' `output.context` objects: lists are concatenated without
 * repeats, texts of the same key joined; plus each task's `summary` and the artifact list.
 */
export function aggregatePhaseContext(
  outputs: { output: Record<string, unknown> }[],
  artifacts: { artifactType: string; artifactPath: string }[],
): PhaseContext {
  const merged: Record<string, unknown> = {};
  for (const { output } of outputs) {
    const context = (output.context ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(context)) {
      const current = merged[key];
      if (Array.isArray(value)) merged[key] = [...new Set([...(Array.isArray(current) ? (current as unknown[]) : []), ...(value as unknown[]).map(String)])];
      else if (typeof value === 'string') merged[key] = typeof current === 'string' ? `${current}\n\n${value}` : value;
    }
  }
  const summaries = outputs.map(({ output }) => output.summary).filter((s): s is string => typeof s === 'string' && s !== '');
  if (summaries.length) merged.task_summaries = summaries;
  if (artifacts.length) merged.artifacts = artifacts.map((a) => (a.artifactPath ? `${a.artifactType} (${a.artifactPath})` : a.artifactType));
  return merged;
}

/**
 * Stores the run's aggregated context (`phase_context`, one row per run), rebuilds the ticket's
 * context from the latest run of every phase, and summarizes what the next phase may see within
 * `maxTokens` cl100k_base tokens (default 2000).
 *
 * Idempotent: the phase row is keyed by run and the ticket's context is derived from those rows.
 *
 * @throws RowNotFoundError TicketNotFound
 */
export async function updateContext(prisma: PrismaClient, run: PhaseRunRef, maxTokens = DEFAULT_SUMMARY_TOKENS): Promise<ContextUpdate> {
  await loadTicket(prisma, run.ticketId);
  const [tasks, artifacts] = await Promise.all([
    prisma.task.findMany({
      where: { ...runWhere(run), status: TaskStatus.COMPLETED, taskType: { not: VALIDATION_TASK_TYPE } },
      orderBy: [{ createdAt: 'asc' }, { taskType: 'asc' }],
    }),
    runArtifacts(prisma, run),
  ]);
  const data = aggregatePhaseContext(
    tasks.map((task) => ({ output: taskOutput(task) })),
    artifacts,
  );
  return prisma.$transaction(async (tx) => {
    await tx.phaseContext.upsert({
      where: { ticketId_phaseId_phaseEntry: runWhere(run) },
      create: { ...runWhere(run), contextData: data as Prisma.InputJsonValue },
      update: { contextData: data as Prisma.InputJsonValue },
    });
    const rows = await tx.phaseContext.findMany({ where: { ticketId: run.ticketId }, orderBy: { phaseEntry: 'asc' } });
    const context: TicketContext = {};
    for (const phase of PHASE_SEQUENCE) {
      const latest = rows.filter((row) => row.phaseId === phase).at(-1);
      if (latest) context[phaseContextKey(phase)] = latest.contextData as PhaseContext;
    }
    const audience: Phase = nextInSequence(run.phase) ?? run.phase;
    const { summary, tokens } = summarizeContext(contextForPhase(context, audience), maxTokens);
    context.summary = summary;
    await tx.phaseContext.update({ where: { ticketId_phaseId_phaseEntry: runWhere(run) }, data: { contextSummary: summary, summaryTokens: tokens } });
    await tx.ticket.update({ where: { id: run.ticketId }, data: { context: context as Prisma.InputJsonValue, contextSummary: summary } });
    return { key: phaseContextKey(run.phase), summary, summaryTokens: tokens };
  });
}
