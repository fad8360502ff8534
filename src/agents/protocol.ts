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
});

/** A parsed agent result. */
export type AgentResult = z.infer<typeof agentResultSchema>;

/** The stored result of a completed task (`tasks.result`): the agent's output and artifacts. */
export type StoredTaskResult = Pick<AgentResult, 'output' | 'artifacts'>;

/** The output of a task's stored result (`{}` when it has none). */
export function taskOutput(task: { result: unknown }): Record<string, unknown> {
  return (task.result as StoredTaskResult | null)?.output ?? {};
}
