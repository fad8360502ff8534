/** zod schemas of the agent registry endpoints' request bodies and query strings (seed 004 milestone 3.1). */
import { z } from 'zod';
import { text } from '../api/schemas';

const agentName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

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
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1).max(50)),
});
