/**
 * Prompt templates (issue 10, "Backends": "the prompt is built from a template per task type
 * (stored like task templates, editable through the API)"): the built-in Mustache templates, their
 * seeding into `prompt_templates`, and the store behind /api/v1/prompt-templates. The row
 * `default` serves every task type without its own. The view the templates render is documented
 * in ./prompt.ts.
 */
import * as Mustache from 'mustache';
import type { PrismaClient, PromptTemplate } from '@prisma/client';

/** Task type whose template serves every task type without its own. */
export const DEFAULT_TEMPLATE = 'default';

/** Longest template accepted, characters. */
export const MAX_PROMPT_TEMPLATE_CHARS = 50_000;

/** The ticket: its description and acceptance criteria (shared by the agents' and the validation template). */
const TICKET = `## Ticket
{{ticket.description}}
{{#ticket.acceptanceCriteria.length}}

Acceptance criteria:
{{#ticket.acceptanceCriteria}}
- {{.}}
{{/ticket.acceptanceCriteria}}
{{/ticket.acceptanceCriteria.length}}
`;

const HEADER = `You are a coding agent working on ticket {{ticket.key}}: {{ticket.title}}
Phase {{phase}}, task {{task.type}} (attempt {{task.attempt}}): {{task.description}}
{{#task.retry}}
An earlier attempt of this task did not finish; the working tree may hold some of its changes.
{{/task.retry}}

${TICKET}
Priority: {{ticket.priority}}
{{#ticket.labels}}
Labels: {{ticket.labels}}
{{/ticket.labels}}
{{#ticket.sourceUrl}}
Source: {{ticket.sourceUrl}}
{{/ticket.sourceUrl}}
{{#contextSummary}}

## What the earlier phases found
{{contextSummary}}
{{/contextSummary}}
{{#dependencies.length}}

## Outputs of the tasks this one depends on
{{#dependencies}}
- {{taskType}}: {{output}}
{{/dependencies}}
{{/dependencies.length}}
{{#repository}}

## Repository
You are in a working tree of the repository {{name}} (default branch {{defaultBranch}}), on the ticket's branch.
Its tests run with \`{{testCommand}}\`; test files belong under {{testPaths}}.
{{/repository}}
`;

const GATE = `{{#gateFiles.length}}

## Files the gate of this phase collects
The orchestrator collects these files from the working tree (paths relative to it) and checks them:
{{#gateFiles}}
- {{path}} ({{artifactType}}): {{criteria}}
{{/gateFiles}}
{{/gateFiles.length}}
{{#checks.length}}

## What the orchestrator checks itself
After your task the orchestrator commits your changes, runs the repository's tests itself and reads their reports; what you say about tests is not trusted. The gate requires:
{{#checks}}
- {{artifactType}}, from {{source}}: {{criteria}}
{{/checks}}
{{/checks.length}}
`;

const RULES = `
## Rules
- The whole task request (JSON, protocol ticket-orchestrator/agent-v1) is in {{requestFile}}.
- Work only in the current working tree.
- Do not commit and do not push: the orchestrator commits what you change.
`;

const ENDING = `- End with a short summary of what you did. To tell the later phases something, make the last line one JSON object: {"context": {"<name>": "<what they should know>"}}
`;

/** A template for a task type: the shared sections around `instruction`. */
const withInstruction = (instruction: string) => `${HEADER}
## Your task
${instruction}
${GATE}${RULES}${ENDING}`;

const VALIDATION = `You are the validation agent reviewing phase {{phase}} of ticket {{ticket.key}}: {{ticket.title}}
Task {{task.type}} (attempt {{task.attempt}}): {{task.description}}

${TICKET}{{#contextSummary}}

## What the earlier phases found
{{contextSummary}}
{{/contextSummary}}

## Artifacts to review
The request file {{requestFile}} lists the phase's artifacts with their content under "artifacts":
{{#artifacts}}
- {{type}}{{#path}} ({{path}}){{/path}}
{{/artifacts}}
{{^artifacts}}
- (none were collected)
{{/artifacts}}
${GATE}
## Your task
Judge whether the artifacts meet the ticket's acceptance criteria and the gate's requirements, and whether the work is sound.
Never approve what you cannot check: when the ticket lists no acceptance criteria, or the requirements document's Acceptance Criteria section is missing or empty, answer approved false and say so.
Do not change any file, do not commit, do not push.
End your final message with one line holding one JSON object and nothing after it:
{"approved": true, "reasons": []}
or, when the phase's work is not good enough:
{"approved": false, "reasons": ["<one problem per entry, precise enough to fix>"]}
`;

/**
 * The built-in templates by task type: `default`, the validation (`validate_phase`), and the seeded
 * task types (src/phase-work/templates.ts) where a specific instruction helps.
 */
export const DEFAULT_PROMPT_TEMPLATES: Readonly<Record<string, string>> = {
  [DEFAULT_TEMPLATE]: withInstruction(`{{task.description}}.`),
  validate_phase: VALIDATION,
  analyze_requirements: withInstruction(
    'Analyze the ticket: what it asks for, what is unclear or missing, its risks, and how its acceptance criteria can be checked. Read the code it concerns. Change no file: the create_requirements_doc task writes the document from your analysis, so put the analysis in your final message.',
  ),
  create_requirements_doc: withInstruction(
    'Write the requirements document to {{documents.requirements_document}}, in Markdown, from the ticket and the analysis above: the scope (what is in and out), each acceptance criterion made testable, and the constraints.',
  ),
  design_architecture: withInstruction(
    'Design the change and write the design document to {{documents.design_document}}, in Markdown: the components and files it touches, the interfaces and data it changes, and how it will be tested. Do not implement it yet.',
  ),
  implement_feature: withInstruction(
    'Implement the ticket in the working tree, following the design document {{documents.design_document}} if there is one, with tests for what you add. Run the tests to check your work.',
  ),
  write_tests: withInstruction(
    "Write tests for the ticket's acceptance criteria and for the code the implementation changed, and make them pass. Fix the code if a test shows a bug.",
  ),
  run_tests: withInstruction(
    "Run the repository's test suite, fix what fails (code or tests), and run it again until it passes. Report what failed and what you changed.",
  ),
  deploy_feature: withInstruction(
    'Prepare the change for integration into the default branch: update the documentation and changelog the repository keeps, and check that nothing is left unfinished. The orchestrator integrates the branch afterwards.',
  ),
};

/** A refused prompt-template request, mapped to the API's error body (src/api/errors.ts). */
export class PromptTemplateError extends Error {
  constructor(
    /** `PROMPT_TEMPLATE_NOT_FOUND` (404) or `INVALID_PROMPT_TEMPLATE` (422). */
    readonly code: 'PROMPT_TEMPLATE_NOT_FOUND' | 'INVALID_PROMPT_TEMPLATE',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Checks that `template` parses as Mustache.
 * @throws PromptTemplateError INVALID_PROMPT_TEMPLATE with Mustache's reason (e.g. `Unclosed section "ticket" at 42`)
 */
export function checkPromptTemplate(taskType: string, template: string): void {
  try {
    Mustache.parse(template);
  } catch (error) {
    const reason = (error as Error).message;
    throw new PromptTemplateError('INVALID_PROMPT_TEMPLATE', `the prompt template for ${taskType} does not parse: ${reason}`, { taskType, reason });
  }
}

/** Inserts the built-in templates that have no row; an existing (e.g. edited) row is left as it is. @returns how many were inserted */
export async function seedPromptTemplates(prisma: PrismaClient): Promise<number> {
  const rows = Object.entries(DEFAULT_PROMPT_TEMPLATES).map(([taskType, template]) => ({ taskType, template }));
  const { count } = await prisma.promptTemplate.createMany({ data: rows, skipDuplicates: true });
  return count;
}

/** The template a task type gets: its own row (`inherited: false`), else the `default` row, else the built-in default. */
export interface EffectivePromptTemplate {
  taskType: string;
  template: string;
  /** Whether it is not the task type's own but the default. */
  inherited: boolean;
}

/** The template task type `taskType` renders (see {@link EffectivePromptTemplate}). */
export async function effectivePromptTemplate(prisma: PrismaClient, taskType: string): Promise<EffectivePromptTemplate> {
  const rows = await prisma.promptTemplate.findMany({ where: { taskType: { in: [taskType, DEFAULT_TEMPLATE] } } });
  const own = rows.find((row) => row.taskType === taskType);
  if (own) return { taskType, template: own.template, inherited: false };
  const fallback = rows.find((row) => row.taskType === DEFAULT_TEMPLATE)?.template ?? DEFAULT_PROMPT_TEMPLATES[DEFAULT_TEMPLATE]!;
  return { taskType, template: fallback, inherited: true };
}

/** The stored prompt templates (table `prompt_templates`). */
export class PromptTemplateStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Every stored template, by task type. */
  list(): Promise<PromptTemplate[]> {
    return this.prisma.promptTemplate.findMany({ orderBy: { taskType: 'asc' } });
  }

  /** The template `taskType` renders: its own row, else the default one with `inherited: true`. */
  get(taskType: string): Promise<EffectivePromptTemplate> {
    return effectivePromptTemplate(this.prisma, taskType);
  }

  /**
   * Stores `template` as the task type's own (created or replaced).
   * @throws PromptTemplateError INVALID_PROMPT_TEMPLATE when it does not parse (nothing is written)
   */
  put(taskType: string, template: string): Promise<PromptTemplate> {
    checkPromptTemplate(taskType, template);
    return this.prisma.promptTemplate.upsert({ where: { taskType }, create: { taskType, template }, update: { template } });
  }

  /**
   * Removes the task type's own template, so it inherits the default; a task type with a built-in
   * template (`default` among them) gets its built-in back instead, as seeding at the next start-up
   * would restore it anyway.
   * @throws PromptTemplateError PROMPT_TEMPLATE_NOT_FOUND when it has neither a row nor a built-in
   */
  async remove(taskType: string): Promise<void> {
    const builtIn = Object.hasOwn(DEFAULT_PROMPT_TEMPLATES, taskType) ? DEFAULT_PROMPT_TEMPLATES[taskType] : undefined;
    if (builtIn !== undefined) {
      await this.put(taskType, builtIn);
      return;
    }
    const { count } = await this.prisma.promptTemplate.deleteMany({ where: { taskType } });
    if (count === 0) throw new PromptTemplateError('PROMPT_TEMPLATE_NOT_FOUND', `no prompt template for ${taskType}`, { taskType });
  }
}
