/**
 * The prompt a coding-agent CLI gets for one execution (issue 10, "Backends": "the prompt is built
 * from a template per task type … the ticket, the phase and task, the context summary of earlier
 * phases, the outputs of the tasks it depends on, and exactly which files the gate will collect and
 * where to write them"), and how its final message becomes the task's output.
 *
 * The template is the task type's stored Mustache template, else the `default` one
 * (./prompt-templates.ts). It renders this view ({@link PromptView}), logic-less and without HTML
 * escaping (prompts are plain text):
 *
 * - `ticket.key` — the ticket's key (`externalId`, else its ID; `ticketKey`), `ticket.title`,
 *   `ticket.description`, `ticket.acceptanceCriteria` (list of strings), `ticket.sourceUrl` (or
 *   null), `ticket.labels` (comma-separated, `''` when none), `ticket.priority` (`HIGH`, …)
 * - `phase` — the task's phase, e.g. `PHASE_REQUIREMENTS`
 * - `task.type`, `task.description`, `task.attempt` (1-based), `task.retry` (attempt > 1)
 * - `contextSummary` — what the earlier phases found (`''` when nothing)
 * - `dependencies` — `[{ taskType, output }]`, the completed tasks this one depends on; `output`
 *   is the task's output as JSON text, or its `summary` when the JSON is longer than
 *   {@link MAX_DEPENDENCY_OUTPUT_CHARS} (else the JSON cut there)
 * - `repository` — null for a ticket without one, else `{ name, defaultBranch, testCommand }`
 *   (the command line, e.g. `npm test --silent`) and `testPaths` (its test globs, comma-separated)
 * - `documents` — every document path of `DOCUMENT_PATHS` for this ticket, by artifact type, e.g.
 *   `documents.design_document` = `docs/tickets/GH-12/design.md`
 * - `gateFiles` — `[{ artifactType, path, criteria }]`: the documents the phase's gate requires (or
 *   sets criteria for) that the orchestrator collects from the tree at their `DOCUMENT_PATHS` path
 *   (relative to the working tree), `criteria` in words (`at least 500 characters; headings
 *   "## Scope" and "## Acceptance Criteria"`)
 * - `checks` — `[{ artifactType, source, criteria }]`: what the gate requires that the orchestrator
 *   derives itself for a ticket with a repository (`VERIFIED_ARTIFACT_TYPES`: the branch's changes,
 *   the result, coverage and output of its own run of the repository's test command); empty without
 *   a repository or when the phase's gate requires none
 * - `artifacts` — `[{ type, path }]`: the phase's collected artifacts a validation reviews (`path`
 *   `''` when none); empty for other tasks
 * - `requestFile` — absolute path of the JSON request (`ticket-orchestrator/agent-v1`)
 *
 * Lists can be tested with `{{#list.length}}…{{/list.length}}`. A rendered prompt never starts
 * with `/` or `@` (Gemini CLI would take it for a command or a file include): such a prompt gets
 * {@link PROMPT_LEAD} as its first line.
 */
import * as Mustache from 'mustache';
import type { PrismaClient, Ticket } from '@prisma/client';
import { phaseGate, type GatePolicy } from '../phase-work/gate-policy';
import type { ArtifactCriteria } from '../phase-work/gates';
import { contextForPhase, summarizeContext, type TicketContext } from '../phase-work/context-summary';
import { PhaseWorkError } from '../phase-work/errors';
import { executionInputs } from '../phase-work/task-store';
import { DOCUMENT_PATHS, VERIFIED_ARTIFACT_TYPES, ticketKey, type RepositorySpec } from '../repositories/contracts';
import { commandLine } from '../repositories/commands';
import { toRepositorySpec } from '../repositories/store';
import type { Phase } from '../ticket/phases';
import type { AgentRequest } from './protocol';
import { agentRequest } from './request';
import { effectivePromptTemplate } from './prompt-templates';

/** What one prompt is built from. */
export interface PromptInput {
  /** The execution's agent-v1 request (task, ticket, context summary, dependency outputs, artifacts, workspace). */
  request: AgentRequest;
  /** The ticket row (source URL, key, repository). */
  ticket: Ticket;
  /** Absolute path of the file holding `request` as JSON, written by the runner for the agent to read. */
  requestFile: string;
}

/** Longest dependency output rendered as JSON, characters; a longer one is replaced by its `summary`. */
export const MAX_DEPENDENCY_OUTPUT_CHARS = 4000;

/** First line of a prompt that would otherwise start with `/` or `@`. */
export const PROMPT_LEAD = 'Task for you:';

/** The view a prompt template renders (see the module comment for every field). */
export interface PromptView {
  ticket: {
    key: string;
    title: string;
    description: string;
    acceptanceCriteria: string[];
    sourceUrl: string | null;
    labels: string;
    priority: string;
  };
  phase: Phase;
  task: { type: string; description: string; attempt: number; retry: boolean };
  contextSummary: string;
  dependencies: { taskType: string; output: string }[];
  repository: { name: string; defaultBranch: string; testCommand: string; testPaths: string } | null;
  documents: Record<string, string>;
  gateFiles: { artifactType: string; path: string; criteria: string }[];
  checks: { artifactType: string; source: string; criteria: string }[];
  artifacts: { type: string; path: string }[];
  requestFile: string;
}

/** `acceptance_criteria` → `Acceptance Criteria` (the gate matches headings ignoring case and `_`). */
function sectionTitle(section: string): string {
  return section
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
}

/**
 * The criteria of a document in words, e.g. `at least 500 characters; headings "## Scope" and
 * "## Acceptance Criteria"; content under "## Acceptance Criteria"`.
 */
function documentCriteria(criteria: ArtifactCriteria | undefined): string {
  const parts: string[] = [];
  if (criteria?.minLength !== undefined) parts.push(`at least ${criteria.minLength} characters`);
  const sections = (criteria?.requiredSections ?? []).map((section) => `"## ${sectionTitle(section)}"`);
  if (sections.length === 1) parts.push(`heading ${sections[0]}`);
  if (sections.length > 1) parts.push(`headings ${sections.slice(0, -1).join(', ')} and ${sections.at(-1)}`);
  for (const section of criteria?.nonEmptySections ?? []) parts.push(`content under "## ${sectionTitle(section)}"`);
  return parts.length ? parts.join('; ') : 'must exist';
}

/** An artifact type only the orchestrator produces (`VERIFIED_ARTIFACT_TYPES`). */
type VerifiedArtifactType = (typeof VERIFIED_ARTIFACT_TYPES)[number];

const isVerified = (type: string): type is VerifiedArtifactType => (VERIFIED_ARTIFACT_TYPES as readonly string[]).includes(type);

/** Where the orchestrator takes a verified artifact from, and what the gate asks of it, in words. */
function check(type: VerifiedArtifactType, criteria: ArtifactCriteria | undefined, repository: RepositorySpec): { source: string; criteria: string } {
  const run = `\`${commandLine(repository.test)}\`, run by the orchestrator in this tree`;
  const testPaths = repository.testPaths.join(', ');
  switch (type) {
    case 'code_changes':
      return {
        source: 'the changes of this task and the earlier ones (the ticket branch against its base)',
        criteria: criteria?.mustHaveTests ? `at least one changed test file (a path matching ${testPaths})` : 'there must be changes',
      };
    case 'test_results':
      return {
        source: `the ${repository.test.report.format} report ${repository.test.report.path} written by ${run}`,
        criteria: criteria?.allPassed ? 'every test passes, and at least one runs' : 'the report must be written',
      };
    case 'test_coverage':
      return {
        source: repository.coverage
          ? `the ${repository.coverage.format} coverage report ${repository.coverage.path} written by ${run}`
          : 'a coverage report, but the repository configures none',
        criteria: criteria?.minPercentage !== undefined ? `line coverage at least ${criteria.minPercentage} %` : 'the report must be written',
      };
    case 'test_evidence':
      return { source: `the output of ${run}`, criteria: 'recorded as the evidence of the run' };
  }
}

/** Artifact types the gate of `phase` names: required ones, then those with criteria only. */
function gateArtifactTypes(policy: GatePolicy, phase: Phase): { types: string[]; criteria: Record<string, ArtifactCriteria> } {
  const requirements = phaseGate(policy, phase).requirements;
  if (!requirements) return { types: [], criteria: {} };
  const types = [...new Set([...requirements.requiredArtifacts, ...Object.keys(requirements.validationCriteria)])];
  return { types, criteria: requirements.validationCriteria };
}

/** A dependency's output as text: its JSON, or its summary when the JSON is too long, else the JSON cut. */
function dependencyOutput(output: Record<string, unknown>): string {
  const json = JSON.stringify(output);
  if (json.length <= MAX_DEPENDENCY_OUTPUT_CHARS) return json;
  if (typeof output.summary === 'string') return output.summary;
  return `${json.slice(0, MAX_DEPENDENCY_OUTPUT_CHARS)}… (cut; the whole output is in the request file)`;
}

/**
 * The view of one execution's prompt (see the module comment).
 *
 * @param repository the ticket's repository, or null for a ticket without one
 */
export function promptView(policy: GatePolicy, { request, ticket, requestFile }: PromptInput, repository: RepositorySpec | null): PromptView {
  const key = ticketKey(ticket);
  const phase = request.task.phase;
  const documents = Object.fromEntries(Object.entries(DOCUMENT_PATHS).map(([type, template]) => [type, template.replace('{key}', key)]));
  const { types, criteria } = gateArtifactTypes(policy, phase);
  return {
    ticket: {
      key,
      title: request.ticket.title,
      description: request.ticket.description,
      acceptanceCriteria: request.ticket.acceptanceCriteria,
      sourceUrl: ticket.sourceUrl,
      labels: request.ticket.labels.join(', '),
      priority: request.ticket.priority,
    },
    phase,
    task: { type: request.task.taskType, description: request.task.description, attempt: request.task.attempt, retry: request.task.attempt > 1 },
    contextSummary: request.contextSummary,
    dependencies: request.dependencies.map((dependency) => ({ taskType: dependency.taskType, output: dependencyOutput(dependency.output) })),
    repository: repository && {
      name: repository.name,
      defaultBranch: repository.defaultBranch,
      testCommand: commandLine(repository.test),
      testPaths: repository.testPaths.join(', '),
    },
    documents,
    gateFiles: types
      .filter((type) => Object.hasOwn(documents, type))
      .map((type) => ({ artifactType: type, path: documents[type]!, criteria: documentCriteria(criteria[type]) })),
    checks: repository ? types.filter(isVerified).map((type) => ({ artifactType: type, ...check(type, criteria[type], repository) })) : [],
    artifacts: request.artifacts.map((artifact) => ({ type: artifact.type, path: artifact.path ?? '' })),
    requestFile,
  };
}

/** Values are rendered as they are: prompts are plain text, never HTML. */
const RENDER_OPTIONS = { escape: (value: unknown) => String(value) };

/**
 * Renders `template` with `view`, trimmed; a prompt starting with `/` or `@` gets {@link PROMPT_LEAD}
 * as its first line.
 *
 * @throws Error from Mustache when the template does not parse (e.g. `Unclosed section "ticket"`)
 */
export function renderPrompt(template: string, view: PromptView): string {
  const prompt = Mustache.render(template, view, undefined, RENDER_OPTIONS).trim();
  return /^[/@]/.test(prompt) ? `${PROMPT_LEAD}\n${prompt}` : prompt;
}

/** The ticket's repository spec, or null when it has none. */
async function ticketRepository(prisma: PrismaClient, ticket: Ticket): Promise<RepositorySpec | null> {
  if (ticket.repositoryName === null) return null;
  const row = await prisma.repository.findUnique({ where: { name: ticket.repositoryName } });
  return row && toRepositorySpec(row);
}

/**
 * The prompt of one execution, from the task type's template (else the `default` one).
 *
 * @throws Error from Mustache when the stored template does not parse (the API refuses such
 *   templates, so only one written to the table directly); database errors
 */
export async function buildPrompt(prisma: PrismaClient, policy: GatePolicy, input: PromptInput): Promise<string> {
  const [{ template }, repository] = await Promise.all([effectivePromptTemplate(prisma, input.request.task.taskType), ticketRepository(prisma, input.ticket)]);
  return renderPrompt(template, promptView(policy, input, repository));
}

/** What a preview names instead of the request file, which exists only while a task runs. */
export const PREVIEW_REQUEST_FILE = '<request file, written when the task runs>';

/** What a preview names instead of the ticket's workspace (not part of the view). */
const PREVIEW_WORKSPACE = '<workspace>';

/**
 * The prompt the next execution of task `taskId` would get from template `template`: the task's
 * request as an execution builds it (attempt = executions so far + 1, the context summary of the
 * earlier phases, its completed dependencies, for a validation the run's artifacts), with
 * {@link PREVIEW_REQUEST_FILE} as the request file.
 *
 * @throws PhaseWorkError TASK_NOT_FOUND; Error from Mustache when `template` does not parse
 */
export async function previewPrompt(prisma: PrismaClient, policy: GatePolicy, taskId: string, template: string): Promise<string> {
  const task = await prisma.task.findUnique({ where: { id: taskId }, include: { ticket: true } });
  if (!task) throw new PhaseWorkError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
  const phase = task.phaseId as Phase;
  const [inputs, repository] = await Promise.all([executionInputs(prisma, task), ticketRepository(prisma, task.ticket)]);
  const { summary } = summarizeContext(contextForPhase((task.ticket.context ?? {}) as TicketContext, phase));
  const request = agentRequest({ task, ticket: task.ticket, attempt: task.attempts + 1, workspace: PREVIEW_WORKSPACE, contextSummary: summary, ...inputs });
  return renderPrompt(template, promptView(policy, { request, ticket: task.ticket, requestFile: PREVIEW_REQUEST_FILE }, repository));
}

/** A final ```json fence closing a message. */
const FINAL_JSON_FENCE = /\n?```json[ \t]*\n([\s\S]*?)\n[ \t]*```\s*$/i;

/** The object `text` holds as JSON, or undefined when it is not a JSON object. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The trailing JSON object of a message and the text before it: a final ```json fence, else the
 * last non-empty line, else a block from a line `{` to the last line `}`.
 */
function trailingObject(message: string): { text: string; fields: Record<string, unknown> } | undefined {
  const fence = FINAL_JSON_FENCE.exec(message);
  if (fence) {
    const fields = jsonObject(fence[1]!);
    return fields && { text: message.slice(0, fence.index), fields };
  }
  const lines = message.trimEnd().split('\n');
  const last = lines.at(-1)!.trim();
  if (!last.endsWith('}')) return undefined;
  let start = lines.length - 1;
  if (!last.startsWith('{')) while (start >= 0 && lines[start]!.trim() !== '{') start -= 1;
  if (start < 0) return undefined;
  const fields = jsonObject(lines.slice(start).join('\n'));
  return fields && { text: lines.slice(0, start).join('\n'), fields };
}

/**
 * The task output of a CLI's final message: `{ summary, ...fields }` where `fields` are those of
 * the JSON object the message ends with (on its last non-empty line, in a final ```json fence, or
 * as a block from a line `{` to the last line `}`) and `summary` is the message without it,
 * trimmed. Without such an object (none, invalid JSON, or JSON that is no object) the output is
 * `{ summary: <the whole message, trimmed> }`. A validation's `{"approved": …, "reasons": […]}`
 * thus lands where the gate reads it (`output.approved === true`, `output.reasons`), and
 * `{"context": {…}}` where the phase context does (`output.context`).
 */
export function outputOfFinalMessage(message: string): Record<string, unknown> {
  const trailing = trailingObject(message);
  return trailing ? { summary: trailing.text.trim(), ...trailing.fields } : { summary: message.trim() };
}
