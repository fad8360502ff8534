/**
 * The prompt a coding-agent CLI gets for one execution (issue 10, "Backends"), and how its final
 * message becomes the task's output.
 * PLACEHOLDER (contract only): the prompt-templates helper replaces the bodies with the stored,
 * API-editable Mustache templates; the signatures stay.
 */
import type { PrismaClient, Ticket } from '@prisma/client';
import type { GatePolicy } from '../phase-work/gate-policy';
import type { AgentRequest } from './protocol';

/** What one prompt is built from. */
export interface PromptInput {
  /** The execution's agent-v1 request (task, ticket, context summary, dependency outputs, artifacts, workspace). */
  request: AgentRequest;
  /** The ticket row (source URL, key, repository). */
  ticket: Ticket;
  /** Absolute path of the file holding `request` as JSON, written by the runner for the agent to read. */
  requestFile: string;
}

/** The prompt of one execution, from the task type's template (else the `default` one). */
export function buildPrompt(_prisma: PrismaClient, _policy: GatePolicy, { request, requestFile }: PromptInput): Promise<string> {
  return Promise.resolve(
    [
      `Ticket ${request.ticket.externalId ?? request.ticket.id}: ${request.ticket.title}`,
      request.ticket.description,
      `Phase ${request.task.phase}, task ${request.task.taskType}: ${request.task.description}`,
      `The whole task request is in ${requestFile}.`,
      'Do not commit: the orchestrator commits what you change.',
    ].join('\n\n'),
  );
}

/**
 * The task output of a CLI's final message: `{ summary }`, plus the fields of a JSON object the
 * message ends with (e.g. `approved` and `reasons` of a validation, `context`).
 */
export function outputOfFinalMessage(message: string): Record<string, unknown> {
  return { summary: message };
}
