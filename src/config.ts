/**
 * Process configuration from environment variables, validated with zod at start-up.
 * Every variable is optional; defaults run the whole stack on one machine.
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  /** HTTP port of the REST API. */
  PORT: port.default(3000),
  /** PostgreSQL URL; unset means: start the embedded PostgreSQL under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Port of the embedded PostgreSQL (used only when DATABASE_URL is unset). */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Directory for persistent local state (embedded PostgreSQL, Temporal dev server SQLite file). */
  DATA_DIR: z.string().default(path.resolve(__dirname, '..', '.data')),
  /** host:port of the Temporal frontend; a reachable server there is reused. */
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Task queue of ticket workflows and their activities. */
  TEMPORAL_TASK_QUEUE: z.string().default('tickets'),
  /** Port of the Temporal Web UI started with the dev server. */
  TEMPORAL_UI_PORT: port.default(8233),
  /** Path of the Temporal CLI; found by scripts/start.mjs when unset. */
  TEMPORAL_CLI: z.string().optional(),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Validated configuration; see the README's configuration table. */
export type Config = z.infer<typeof schema>;

/**
 * Reads and validates the configuration.
 *
 * @throws Error listing every invalid variable, e.g. `PORT: expected number`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
