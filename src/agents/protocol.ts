/**
 * The agent protocol, `ticket-orchestrator/agent-v1`: what a backend hands an agent for one task
 * and what the agent answers. The command backend writes the request as JSON on stdin and reads the
 * result from stdout; the http backend posts the request and receives the result through
 * POST /tasks/:id/complete (or /fail). Seeds: 001/002 Streams F–H (task, ticket, context).
 */
import { z } from 'zod';
import type { Phase } from '../ticket/phases';
import type { Priority } from '../ticket/ticket';

/** Protocol identifier sent with every request. */
export const AGENT_PROTOCOL = 'ticket-orchestrator/agent-v1';

/** What an agent receives for one task. */
export interface AgentRequest {
  protocol: typeof AGENT_PROTOCOL;
  task: {
    id: string;
    taskType: string;
    phase: Phase;
    description: string;
    priority: Priority;
    requiredCapabilities: string[];
    /** 1-based execution attempt. */
    attempt: number;
  };
  ticket: {
    id: string;
    externalId: string | null;
    title: string;
    description: string;
    priority: Priority;
    labels: string[];
    acceptanceCriteria: string[];
  };
  /** Summary of the earlier phases' context, within the token budget (Stream H). */
  contextSummary: string;
  /** Outputs of the completed tasks this one depends on. */
  dependencies: { taskType: string; output: Record<string, unknown> }[];
  /** The phase run's collected artifacts (what a validation agent reviews). */
  artifacts: AgentArtifact[];
  /** Absolute path of the ticket's workspace (the command backend's working directory). */
  workspace: string;
}

const artifact = z.object({
  /** Artifact type, e.g. `requirements_document`, `test_results`. */
  type: z.string().trim().min(1).max(100),
  /** File path or reference inside the workspace. */
  path: z.string().max(1000).optional(),
  /** The content (text or JSON). */
  content: z.unknown(),
});

/** An artifact an agent produced. */
export type AgentArtifact = z.infer<typeof artifact>;

/** Largest token count one execution may report (the columns are 32-bit integers). */
const MAX_TOKENS = 2_147_483_647;

/**
 * What one execution used, as an http agent reports it with its callback (issue 10, "Usage and
 * cost"): tokens (input includes the cached part), cost in USD as the agent's provider charged
 * it, agent turns, and the agent's session ID. Recorded as the attempt's `agent_executions` row.
 */
export const agentUsageSchema = z
  .strictObject({
    inputTokens: z.number().int().min(0).max(MAX_TOKENS),
    outputTokens: z.number().int().min(0).max(MAX_TOKENS),
    /** Input tokens served from the provider's cache (part of `inputTokens`); default 0. */
    cachedTokens: z.number().int().min(0).max(MAX_TOKENS).default(0),
    /** USD; absent when the agent does not know (the execution then has no cost). */
    costUsd: z.number().min(0).max(99_999_999).optional(),
    turns: z.number().int().min(0).max(MAX_TOKENS).default(0),
    sessionId: z.string().min(1).max(255).optional(),
  })
  .refine((usage) => usage.cachedTokens <= usage.inputTokens, { message: 'cachedTokens must not exceed inputTokens', path: ['cachedTokens'] });

/** A reported usage (see {@link agentUsageSchema}). */
export type AgentUsage = z.infer<typeof agentUsageSchema>;

/** What an agent answers: a completed task with output and artifacts, or a failure. */
export const agentResultSchema = z.object({
  status: z.enum(['completed', 'failed']),
  /** Free-form output; `output.context` feeds the phase context, `output.approved`/`reasons` a validation. */
  output: z.record(z.string(), z.unknown()).default({}),
  artifacts: z.array(artifact).max(100).default([]),
  /** Why it failed (status `failed`). */
  error: z.string().max(10_000).optional(),
  /** Whether retrying could help (status `failed`); default true. */
  retryable: z.boolean().optional(),
  /** What the execution used (issue 10); optional. */
  usage: agentUsageSchema.optional(),
});

/** A parsed agent result. */
export type AgentResult = z.infer<typeof agentResultSchema>;

/** The stored result of a completed task (`tasks.result`): the agent's output and artifacts. */
export type StoredTaskResult = Pick<AgentResult, 'output' | 'artifacts'>;

/** The output of a task's stored result (`{}` when it has none). */
export function taskOutput(task: { result: unknown }): Record<string, unknown> {
  return (task.result as StoredTaskResult | null)?.output ?? {};
}
