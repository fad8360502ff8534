/** zod schemas of the phase-work endpoints' request bodies and query strings (seed 001/002 Streams F–H, agent callbacks). */
import { z } from 'zod';
import { json, phase, plain, storableJson, text } from '../api/schemas';
import type { Phase } from '../ticket/phases';
import { PRIORITIES } from '../ticket/ticket';
import { agentUsageSchema } from '../agents/protocol';

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

/** A task type: lowercase letters, digits and underscores, starting with a letter, at most 100 characters. */
export const taskType = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,99}$/, 'lowercase letters, digits and underscores, starting with a letter');
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

/** POST /tasks/:id/complete body: the agent's result, with what the execution used (optional, issue 10). */
export const completeTaskBody = z.strictObject({
  status: z.literal('completed').optional(),
  output: z.record(z.string(), z.unknown()).default({}).superRefine(storableJson),
  artifacts: z.array(agentArtifact).max(100).default([]),
  usage: agentUsageSchema.optional(),
});

/** POST /tasks/:id/fail body, with what the execution used (optional, issue 10). */
export const failTaskBody = z.strictObject({
  error: text(10_000),
  /** Whether retrying could help; default true. */
  retryable: z.boolean().default(true),
  usage: agentUsageSchema.optional(),
});

/** POST /tasks/:id/cancel body. */
export const cancelTaskBody = z.strictObject({ reason: text(2000).optional() }).default({});

/** POST /tasks/:id/dependencies body: task IDs of the same phase run. */
export const dependenciesBody = z.strictObject({ dependsOn: z.array(z.uuid()).min(1).max(50) });
