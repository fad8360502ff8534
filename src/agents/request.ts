/**
 * The request an agent receives for one execution (protocol `ticket-orchestrator/agent-v1`, see
 * ./protocol.ts; seed 001/002 Stream F): the task, its ticket, the context summary of the earlier
 * phases, the outputs of the tasks it depends on, and for a validation the phase's artifacts.
 * Pure module: it shapes rows the stores read and the summary the caller computed.
 */
import type { PhaseGateArtifact, Task, Ticket } from '@prisma/client';
import type { Phase } from '../ticket/phases';
import type { Priority } from '../ticket/ticket';
import { AGENT_PROTOCOL, taskOutput, type AgentRequest } from './protocol';

/** What one execution's request is built from. */
export interface ExecutionRows {
  task: Task;
  ticket: Ticket;
  /** 1-based execution number of the task (every execution counts, across retries and resumed runs). */
  attempt: number;
  /** The completed tasks it depends on. */
  dependencies: Task[];
  /** The run's artifacts (for a validation task; else none). */
  artifacts: PhaseGateArtifact[];
  /** The ticket's workspace directory the agent works in. */
  workspace: string;
  /** The context summary of the phases before the task's (`PhaseSummaryCache.summaryFor`, src/phase-work/context-summary.ts). */
  contextSummary: string;
}

/** The agent request of one execution. */
export function agentRequest({ task, ticket, attempt, dependencies, artifacts, workspace, contextSummary }: ExecutionRows): AgentRequest {
  const phase = task.phaseId as Phase;
  return {
    protocol: AGENT_PROTOCOL,
    task: {
      id: task.id,
      taskType: task.taskType,
      phase,
      description: task.description,
      priority: task.priority as Priority,
      requiredCapabilities: task.requiredCapabilities,
      attempt,
    },
    ticket: {
      id: ticket.id,
      externalId: ticket.externalId,
      title: ticket.title,
      description: ticket.description,
      priority: ticket.priority as Priority,
      labels: ticket.labels,
      acceptanceCriteria: ticket.acceptanceCriteria,
    },
    contextSummary,
    dependencies: dependencies.map((dependency) => ({ taskType: dependency.taskType, output: taskOutput(dependency) })),
    artifacts: artifacts.map((artifact) => ({ type: artifact.artifactType, path: artifact.artifactPath || undefined, content: artifact.artifactContent })),
    workspace,
  };
}
