/**
 * One execution of a task by a coding-agent CLI (issue 10): the prompt built from the task type's
 * template, the CLI run headless in the ticket's working tree by the generic runner (its own HOME
 * and TMPDIR under the task's scratch directory, killed when idle), its outcome turned into the
 * task's result or a classified {@link AgentFailure}, and its usage recorded as the execution's
 * `agent_executions` row (cost priced from the configuration's table when the CLI reports none).
 * A retry resumes the CLI's session of the failed execution before it, where the CLI can.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PrismaClient, Ticket } from '@prisma/client';
import { AgentFailure, AgentFailureType } from '../../src/agents/agent-failure';
import { RESUMABLE_CLIS } from '../../src/agents/cli/backends';
import { priceUsage, type CliBackendConfig } from '../../src/agents/cli/config';
import type { CliOutcome, CliUsage } from '../../src/agents/cli/contracts';
import { loadSecrets } from '../../src/agents/cli/environment';
import { runCliAgent, type CliHeartbeat } from '../../src/agents/cli/runner';
import type { OrchestratorConfig } from '../../src/agents/config';
import { recordExecution, resumableSession } from '../../src/agents/executions';
import { buildPrompt, outputOfFinalMessage } from '../../src/agents/prompt';
import type { AgentArtifact, AgentRequest, AgentResult } from '../../src/agents/protocol';
import { DOCUMENT_PATHS, ticketKey } from '../../src/repositories/contracts';
import type { Logger } from '../../src/platform/logger';

/** What a CLI execution needs from the activity. */
export interface CliExecution {
  prisma: PrismaClient;
  config: OrchestratorConfig;
  backend: CliBackendConfig;
  /** The name recorded as the execution's backend (the registered agent, else the backend's name). */
  agent: string;
  request: AgentRequest;
  ticket: Ticket;
  /** The working tree (or plain workspace) the CLI runs in. */
  workspace: string;
  /**
   * Whether `workspace` is a plain directory (a ticket without a repository): the documents the CLI
   * wrote there are then collected here (a working tree's are collected by its commit).
   */
  plainWorkspace: boolean;
  /** The task's scratch directory, outside the tree: `<agent records>/<taskId>`. */
  scratchDir: string;
  signal: AbortSignal;
  /** Receives the running CLI's progress (the activity heartbeats it and renews its leases). */
  onProgress: (details: CliHeartbeat) => void;
  heartbeatIntervalMs: number;
  onSpawn: (pid: number) => void;
  log: Logger;
}

/** The failure type of a failed outcome's kind. */
function failureType(kind: string): AgentFailureType {
  if (kind === 'protocol') return AgentFailureType.PROTOCOL_ERROR;
  if (kind === 'unavailable') return AgentFailureType.UNAVAILABLE;
  if (kind === 'process' || kind === 'idle_timeout') return AgentFailureType.PROCESS_FAILED;
  return AgentFailureType.TASK_FAILED;
}

/** The outcome's usage, its cost priced from the configuration's table under `model` when the CLI reported none. */
function pricedUsage(config: OrchestratorConfig, model: string | null, usage: CliUsage): CliUsage {
  if (usage.costUsd !== null) return usage;
  const costUsd = priceUsage(config.prices, model ?? undefined, usage);
  return costUsd === null ? usage : { ...usage, costUsd, costSource: 'priced' };
}

/**
 * Runs the CLI for one execution and records it.
 *
 * @returns the task's result: `completed`, output `{summary, …fields of the final message's JSON}`;
 *   as artifacts, in a plain workspace the documents of DOCUMENT_PATHS the run wrote (a working
 *   tree's are collected when the orchestrator commits)
 * @throws AgentFailure classified from the outcome: `protocol` → PROTOCOL_ERROR, `unavailable` →
 *   UNAVAILABLE, `process`/`idle_timeout` → PROCESS_FAILED, any other kind (`api_error`,
 *   `rate_limited`, `auth`, `usage`, `max_turns`, `max_budget`) → TASK_FAILED; retryable as the
 *   outcome says. The abort reason when `signal` aborts (the process group is killed).
 */
export async function runCliExecution(execution: CliExecution): Promise<AgentResult> {
  const { prisma, config, backend, request, scratchDir } = execution;
  const { attempt, id: taskId } = request.task;
  await mkdir(scratchDir, { recursive: true });
  const requestFile = path.join(scratchDir, `request-${attempt}.json`);
  const [prompt, secrets, resumeSessionId] = await Promise.all([
    buildPrompt(prisma, config, { request, ticket: execution.ticket, requestFile }),
    loadSecrets(config.secretsFile),
    RESUMABLE_CLIS.has(backend.type) ? resumableSession(prisma, taskId, execution.agent) : null,
    writeFile(requestFile, JSON.stringify(request, null, 2)),
  ]);
  const run = await runCliAgent(backend, {
    cwd: execution.workspace,
    scratchDir,
    attempt,
    prompt,
    resumeSessionId: resumeSessionId ?? undefined,
    baseDir: config.baseDir,
    source: process.env,
    secrets,
    signal: execution.signal,
    onProgress: execution.onProgress,
    heartbeatIntervalMs: execution.heartbeatIntervalMs,
    onSpawn: execution.onSpawn,
    log: (line) => execution.log.debug({ output: line }, 'agent output'),
  });
  const outcome: CliOutcome = run.outcome;
  const usage = pricedUsage(config, run.model, outcome.usage);
  await recordExecution(prisma, {
    taskId,
    attempt,
    backend: execution.agent,
    backendType: backend.type,
    model: run.model,
    status: outcome.status,
    failureKind: outcome.status === 'failed' ? outcome.kind : null,
    error: outcome.status === 'failed' ? outcome.error : null,
    usage,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  });
  execution.log.info({ outcome: outcome.status, tokens: usage.inputTokens + usage.outputTokens, costUsd: usage.costUsd }, 'coding-agent CLI run ended');
  if (outcome.status === 'completed') {
    await rm(scratchDir, { recursive: true, force: true });
    const artifacts = execution.plainWorkspace ? await writtenDocuments(execution.workspace, ticketKey(execution.ticket), run.startedAt) : [];
    return { status: 'completed', output: outputOfFinalMessage(outcome.summary), artifacts };
  }
  // A retry may resume the session from the HOME kept in the scratch directory; a permanent failure needs neither.
  if (!outcome.retryable) await rm(scratchDir, { recursive: true, force: true });
  throw new AgentFailure(`${outcome.kind}: ${outcome.error}`, failureType(outcome.kind), outcome.retryable);
}

/** The documents of {@link DOCUMENT_PATHS} in a plain `workspace` written since `since`, as artifacts. */
async function writtenDocuments(workspace: string, key: string, since: Date): Promise<AgentArtifact[]> {
  const documents = await Promise.all(
    Object.entries(DOCUMENT_PATHS).map(async ([type, template]) => {
      const file = template.replace('{key}', key);
      const written = await stat(path.join(workspace, file)).then(
        (stats) => stats.mtimeMs >= since.getTime() - 1000,
        () => false,
      );
      return written ? { type, path: file, content: { text: await readFile(path.join(workspace, file), 'utf8'), format: 'markdown' } } : null;
    }),
  );
  return documents.filter((document) => document !== null);
}
