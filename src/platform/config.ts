/**
 * Process configuration from environment variables, validated with zod at start-up.
 * Every variable is optional; defaults run the whole stack on one machine.
 */
import { z } from 'zod';
import type { OrchestratorConfig } from '../agents/config';
import { gatedPhases } from '../phase-work/gate-policy';
import type { WorkerSizing } from '../worker/create-worker';
import { DEFAULT_DATA_DIR } from './paths';
import { DEFAULT_RESOURCE_WAIT, DEFAULT_TICKET_SETTINGS, type TicketSettings } from '../ticket/settings';
import { escalationSettings } from '../ticket/sla-config';

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  /** HTTP port of the REST API. */
  PORT: port.default(3000),
  /** PostgreSQL URL; unset means: start the embedded PostgreSQL under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /**
   * Database connections per process (the Prisma client's pg pool): the API's requests and the
   * worker's activities share it in `npm start`: 30 covers the worker's 20 bookkeeping activity
   * slots plus the API's requests (a request waits for a free connection, it is not refused).
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(30),
  /** Port of the embedded PostgreSQL (used only when DATABASE_URL is unset). */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Directory for persistent local state (embedded PostgreSQL, Temporal dev server SQLite file). */
  DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  /** host:port of the Temporal frontend; a reachable server there is reused. */
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Task queue of ticket workflows and their activities. */
  TEMPORAL_TASK_QUEUE: z.string().default('tickets'),
  /** Port of the Temporal Web UI started with the dev server. */
  TEMPORAL_UI_PORT: port.default(8233),
  /** Path of the Temporal CLI; found by scripts/start.mjs when unset. */
  TEMPORAL_CLI: z.string().optional(),
  /** The orchestrator configuration file: agent backends, validation phases, extra gates. */
  ORCHESTRATOR_CONFIG: z.string().optional(),
  /**
   * A coding-agent CLI (`claude-code`, `codex`, `gemini-cli`, `aider`) that replaces the
   * configuration file's backends on every capability (issue 10; `npm start -- --agent <cli>` sets
   * it, so the agent queue's worker process gets it too). See src/agents/cli/agent-override.ts.
   */
  ORCHESTRATOR_AGENT: z.string().optional(),
  /** Directory of the per-ticket agent workspaces; default DATA_DIR/workspaces. */
  WORKSPACES_DIR: z.string().optional(),
  /**
   * Directory of this machine's repository caches (issue 9): a cached clone per repository, and
   * the set-up outputs (e.g. node_modules) shared by working trees; default DATA_DIR/repository-cache.
   */
  REPOSITORY_CACHE_DIR: z.string().optional(),
  /** Base URL of the REST API as http agents reach it; default http://127.0.0.1:PORT/api/v1. */
  PUBLIC_API_URL: z.string().url().optional(),
  /** Tasks of one phase run executed at the same time. */
  MAX_PARALLEL_TASKS: z.coerce.number().int().min(1).max(64).default(DEFAULT_TICKET_SETTINGS.maxParallelTasks),
  /** Executions per agent task, the first included. */
  TASK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(DEFAULT_TICKET_SETTINGS.taskRetry.maximumAttempts),
  /** First retry delay of an agent task, ms (doubles per attempt). */
  TASK_RETRY_INITIAL_MS: z.coerce.number().int().min(1).default(DEFAULT_TICKET_SETTINGS.taskRetry.initialIntervalMs),
  /** Retry delay cap of an agent task, ms. */
  TASK_RETRY_MAX_MS: z.coerce.number().int().min(1).default(DEFAULT_TICKET_SETTINGS.taskRetry.maximumIntervalMs),
  /** Ticket workflows a worker keeps in memory (sticky cache); an evicted one is replayed from its history when it next runs. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
  /** Workflow tasks a worker processes at once (≥ 2 when caching). */
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).default(40),
  /** Bookkeeping activities (recordTransition, generateTasks, ...) a worker runs at once; keep ≤ DATABASE_POOL_SIZE. */
  WORKER_ACTIVITY_TASK_SLOTS: z.coerce.number().int().min(1).default(20),
  /** Concurrent long polls for workflow tasks. */
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().min(1).default(10),
  /** Concurrent long polls for bookkeeping activity tasks. */
  WORKER_ACTIVITY_POLLERS: z.coerce.number().int().min(1).default(10),
  /** Threads that run workflow code (the SDK's `workflowThreadPoolSize`; its default is 1). */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * Whether the all-in-one stack runs the agent queue's worker in a child process
   * (src/entrypoints/agent-queue-worker.ts; default true): agent spawns then never stall the API
   * or the ticket workflows. `false`: in the stack's own process.
   */
  AGENT_WORKER_PROCESS: z.stringbool().default(true),
  /** Agent tasks a worker process runs at once across all tickets (the global limit). */
  MAX_CONCURRENT_AGENT_TASKS: z.coerce.number().int().min(1).max(256).default(8),
  /** Re-validations of a failed gate before the ticket is blocked. */
  GATE_RETRIES: z.coerce.number().int().min(0).max(100).default(DEFAULT_TICKET_SETTINGS.gateRetries),
  /** Wait before a gate re-validation, ms. */
  GATE_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(DEFAULT_TICKET_SETTINGS.gateRetryDelayMs),
  /** Event-history length after which a ticket workflow continues as new. */
  CONTINUE_AS_NEW_AFTER_EVENTS: z.coerce.number().int().min(100).default(DEFAULT_TICKET_SETTINGS.continueAsNewAfterEvents),
  /** First wait of a task for a resource another task holds, ms (doubles per try). */
  RESOURCE_WAIT_INITIAL_MS: z.coerce.number().int().min(1).default(DEFAULT_RESOURCE_WAIT.initialMs),
  /** Longest wait of a task for a resource another task holds, ms. */
  RESOURCE_WAIT_MAX_MS: z.coerce.number().int().min(1).default(DEFAULT_RESOURCE_WAIT.maxMs),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Validated configuration; see the README's configuration table. */
export type Config = z.infer<typeof schema>;

/**
 * Reads and validates the configuration.
 *
 * @throws Error listing every invalid variable (zod's `prettifyError`), e.g. `✖ Invalid input: expected number … → at PORT`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The ticket worker's sizing from the configuration (see {@link WorkerSizing}). */
export function workerSizing(config: Config): WorkerSizing {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    workflowTaskSlots: config.WORKER_WORKFLOW_TASK_SLOTS,
    activityTaskSlots: config.WORKER_ACTIVITY_TASK_SLOTS,
    workflowPollers: config.WORKER_WORKFLOW_POLLERS,
    activityPollers: config.WORKER_ACTIVITY_POLLERS,
    workflowThreads: config.WORKER_WORKFLOW_THREADS,
  };
}

/** Per-ticket workflow settings (all but the policy, which each ticket chooses) from the configuration. */
export function workflowSettings(config: Config, orchestrator: OrchestratorConfig): Omit<TicketSettings, 'policy'> {
  return {
    maxParallelTasks: config.MAX_PARALLEL_TASKS,
    taskRetry: { maximumAttempts: config.TASK_MAX_ATTEMPTS, initialIntervalMs: config.TASK_RETRY_INITIAL_MS, maximumIntervalMs: config.TASK_RETRY_MAX_MS },
    gateRetries: config.GATE_RETRIES,
    gateRetryDelayMs: config.GATE_RETRY_DELAY_MS,
    validationPhases: orchestrator.validationPhases,
    gatedPhases: gatedPhases(orchestrator),
    continueAsNewAfterEvents: config.CONTINUE_AS_NEW_AFTER_EVENTS,
    resourceWait: { initialMs: config.RESOURCE_WAIT_INITIAL_MS, maxMs: Math.max(config.RESOURCE_WAIT_MAX_MS, config.RESOURCE_WAIT_INITIAL_MS) },
    escalation: escalationSettings(orchestrator.escalation),
  };
}
