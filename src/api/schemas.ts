/** zod schemas of the API's request bodies and query strings (seed 001/002/003 endpoints). */
import { z } from 'zod';
import { ALL_PHASES, type Phase } from '../ticket/phases';
import { ALL_STATUSES, PRIORITIES, type TicketStatus } from '../ticket/ticket';
import { TICKET_POLICIES } from '../ticket/settings';

const phase = z.enum(ALL_PHASES as [Phase, ...Phase[]]);

/** Text PostgreSQL can store: well-formed Unicode (no lone surrogates) without NUL characters. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (value: string) => !value.includes('\u0000') && !LONE_SURROGATE.test(value);
const STORABLE = 'must be well-formed Unicode without NUL characters';

/** Any storable string of at most `max` characters. */
const plain = (max: number) => z.string().max(max).refine(storable, STORABLE);
/** A non-empty, trimmed, storable string of at most `max` characters. */
const text = (max: number) => z.string().trim().min(1).max(max).refine(storable, STORABLE);

/** Deepest nesting accepted in free-form JSON (artifact content, agent output). */
export const MAX_JSON_DEPTH = 64;

/**
 * Why free-form JSON cannot be stored, or undefined: nesting deeper than {@link MAX_JSON_DEPTH},
 * or a string or key that is not storable. Walks iteratively, so any depth is safe to check.
 */
function jsonProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string' && !storable(node)) return `strings ${STORABLE}`;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(node)) {
      if (!storable(key)) return `keys ${STORABLE}`;
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** Refinement of free-form JSON that PostgreSQL must store (see {@link jsonProblem}). */
const storableJson = (value: unknown, ctx: z.RefinementCtx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `JSON ${problem}` });
};
const json = () => z.unknown().superRefine(storableJson);

/** POST /tickets body. */
export const createTicketBody = z.strictObject({
  externalId: text(255).optional(),
  title: text(500),
  description: plain(20_000).optional(),
  priority: z.enum(PRIORITIES).optional(),
  labels: z.array(text(100)).max(50).optional(),
  acceptanceCriteria: z.array(text(2000)).max(100).optional(),
  policy: z.enum(TICKET_POLICIES).optional(),
});

/** POST /tickets/:id/transition and /signals/transition body. `requestId` defaults to a new UUID. */
export const transitionBody = z.strictObject({
  toPhase: phase,
  reason: plain(2000).optional(),
  transitionedBy: text(255).optional(),
  requestId: text(255).optional(),
});

/** GET /tickets query: filters and page (limit 1..100, default 20; offset ≥ 0). */
export const listTicketsQuery = z.strictObject({
  phase: phase.optional(),
  status: z.enum(ALL_STATUSES as [TicketStatus, ...TicketStatus[]]).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * A phase selector as the seeds spell it (`phase_id`) or as the rest of this API does (`phaseId`);
 * either may be given. Resolves to the phase or undefined.
 */
const phaseSelector = { phaseId: phase.optional(), phase_id: phase.optional() };
const selectedPhase = <T extends { phaseId?: Phase; phase_id?: Phase }>(value: T) => value.phaseId ?? value.phase_id;

/** Body of POST /tickets/:id/generate-tasks, /validate-gate and /update-context: `{ phaseId? }` (or `phase_id`). */
export const phaseBody = z.strictObject(phaseSelector).default({}).transform(selectedPhase);

/** Query of GET /tickets/:id/tasks: `?phase_id=` (or `phaseId`). */
export const phaseQuery = z.strictObject(phaseSelector).transform(selectedPhase);

/** Query of GET /tickets/:id/context-summary: `?phase_id=&max_tokens=` (1..8000, default 2000). */
export const contextSummaryQuery = z
  .strictObject({ ...phaseSelector, max_tokens: z.coerce.number().int().min(1).max(8000).optional() })
  .transform((value) => ({ phase: selectedPhase(value), maxTokens: value.max_tokens }));

/** Query of GET /task-templates: `?phase_id=&include_inactive=true`. */
export const templatesQuery = z
  .strictObject({ ...phaseSelector, include_inactive: z.enum(['true', 'false']).optional() })
  .transform((value) => ({ phase: selectedPhase(value), includeInactive: value.include_inactive === 'true' }));

const taskType = z.string().trim().regex(/^[a-z][a-z0-9_]{0,99}$/, 'lowercase letters, digits and underscores, starting with a letter');
const capabilities = z.array(text(100)).max(20);

const resources = z.array(text(500)).max(20);
const timeoutSeconds = z.number().int().min(1).max(86_400);

/** POST /task-templates body. */
export const createTemplateBody = z.strictObject({
  phaseId: phase,
  taskType,
  templateDescription: text(2000),
  defaultPriority: z.enum(PRIORITIES).optional(),
  requiredCapabilities: capabilities.optional(),
  dependenciesTemplate: z.array(taskType).max(20).optional(),
  resources: resources.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
});

/** PATCH /task-templates/:id body: at least one field. */
export const updateTemplateBody = z
  .strictObject({
    templateDescription: text(2000).optional(),
    defaultPriority: z.enum(PRIORITIES).optional(),
    requiredCapabilities: capabilities.optional(),
    dependenciesTemplate: z.array(taskType).max(20).optional(),
    resources: resources.optional(),
    timeoutSeconds: timeoutSeconds.nullable().optional(),
    isActive: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'give at least one field to change');

/** POST /tickets/:id/artifacts body (seed 002: `artifact_type`, `artifact_path`, `content`). */
export const artifactBody = z
  .strictObject({
    ...phaseSelector,
    artifactType: taskType,
    artifactPath: plain(1000).optional(),
    content: json().refine((value) => value !== undefined && value !== null, 'content is required'),
    collectedBy: text(255).optional(),
  })
  .transform(({ phaseId: _a, phase_id: _b, ...artifact }) => ({ phase: _a ?? _b, artifact }));

/** Query of the agent callbacks: `?attempt=` (the attempt the agent was given; optional). */
export const callbackQuery = z.strictObject({ attempt: z.coerce.number().int().min(1).optional() });

const agentArtifact = z.strictObject({ type: taskType, path: plain(1000).optional(), content: json() });

/** POST /tasks/:id/complete body: the agent's result. */
export const completeTaskBody = z.strictObject({
  status: z.literal('completed').optional(),
  output: z.record(z.string(), z.unknown()).default({}).superRefine(storableJson),
  artifacts: z.array(agentArtifact).max(100).default([]),
});

/** POST /tasks/:id/fail body. */
export const failTaskBody = z.strictObject({
  error: text(10_000),
  /** Whether retrying could help; default true. */
  retryable: z.boolean().default(true),
});

/** POST /tickets/:id/cancel body. */
export const cancelTicketBody = z.strictObject({ reason: text(2000), requestedBy: text(255).optional() });

/** POST /tasks/:id/cancel body. */
export const cancelTaskBody = z.strictObject({ reason: text(2000).optional() }).default({});

/** POST /tasks/:id/dependencies body: task IDs of the same phase run. */
export const dependenciesBody = z.strictObject({ dependsOn: z.array(z.uuid()).min(1).max(50) });

const agentName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

/** POST /agents body (register, or re-register by name). */
export const registerAgentBody = z.strictObject({
  name: agentName,
  capabilities: z.array(text(100)).min(1).max(50),
  capacity: z.number().int().min(1).max(1000).optional(),
  tags: z.array(text(100)).max(50).optional(),
  /** Default: `<ticket queue>-agent-<name>`. */
  taskQueue: text(255).optional(),
  timeoutMs: z.number().int().min(1000).optional(),
  heartbeatTimeoutMs: z.number().int().min(1000).optional(),
});

/** PATCH /agents/:id body: at least one field. */
export const updateAgentBody = registerAgentBody
  .omit({ name: true, taskQueue: true })
  .partial()
  .extend({ enabled: z.boolean().optional() })
  .refine((value) => Object.keys(value).length > 0, 'give at least one field to change');

/** GET /agents/search query: `?capabilities=testing,analysis` (comma-separated, at least one). */
export const searchAgentsQuery = z.strictObject({
  capabilities: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1).max(50)),
});
