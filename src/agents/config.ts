/**
 * The orchestrator configuration file (`config/orchestrator.json`, or the path in
 * `ORCHESTRATOR_CONFIG`): the agent backends and the capabilities each serves, the phases whose
 * gate also asks the validation agent, a deployment's extra gate requirements, and the
 * repositories tickets are worked in with the default one (issue 9), and the coding-agent CLIs'
 * price table and secrets file (issue 10), and the SLAs and escalation webhooks (issue 11).
 * Seeds: 001/002 Stream F (required capabilities), Stream G (gates, ValidationAgent).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { gateOverridesSchema, gatePolicy, validationPhasesSchema, type GatePolicy } from '../phase-work/gate-policy';
import type { AgentAssignment } from '../phase-work/tasks';
import { DEFAULT_DATA_DIR } from '../platform/paths';
import { configuredRepositoriesSchema, resolveConfiguredRepositories, type ConfiguredRepository } from '../repositories/config';
import { repositoryName } from '../repositories/schemas';
import { cliBackendSchemas, pricesSchema, type CliBackendConfig, type ModelPrices } from './cli/config';
import { escalationConfigSchema, type EscalationConfig } from '../ticket/sla-config';

const capabilities = z.array(z.string().min(1)).min(1);
const timeouts = {
  /** Start-to-close timeout of one execution, ms (default 10 min). */
  timeoutMs: z.number().int().positive().default(600_000),
};

const commandBackend = z.strictObject({
  name: z.string().min(1),
  type: z.literal('command'),
  capabilities,
  /** Executable, resolved on PATH; `node` means this Node.js. */
  command: z.string().min(1),
  /** Arguments; relative paths are the caller's business (the process runs in the ticket workspace). */
  args: z.array(z.string()).default([]),
  /** Extra environment variables for the process. */
  env: z.record(z.string(), z.string()).default({}),
  ...timeouts,
  /** Heartbeat timeout, ms (default 15 s); the activity heartbeats every third of it while the process runs. */
  heartbeatTimeoutMs: z.number().int().positive().default(15_000),
});

const httpBackend = z.strictObject({
  name: z.string().min(1),
  type: z.literal('http'),
  capabilities,
  /** The agent service's endpoint that accepts tasks (POST). */
  url: z.url(),
  /** Extra request headers, e.g. an authorization token. */
  headers: z.record(z.string(), z.string()).default({}),
  ...timeouts,
});

const schema = z
  .strictObject({
    $comment: z.string().optional(),
    /** Agent backends; a task goes to the first whose capabilities include all it requires. */
    backends: z.array(z.discriminatedUnion('type', [commandBackend, httpBackend, ...cliBackendSchemas])).min(1),
    /** Per model, USD per million tokens: prices the tokens of a CLI that reports no cost (issue 10). */
    prices: pricesSchema,
    /**
     * A JSON file of `{ "NAME": "value" }` the CLI backends' `passEnv` variables come from when the
     * orchestrator's environment lacks them (relative to the configuration file); the environment
     * variable `ORCHESTRATOR_SECRETS_FILE` overrides it.
     */
    secretsFile: z.string().min(1).optional(),
    /** Phases whose gate validation also runs the validation agent (a `validate_phase` task). */
    validationPhases: validationPhasesSchema,
    /** Gate requirements added to the seeds' PHASE_GATE_REQUIREMENTS, phase by phase. */
    gates: gateOverridesSchema,
    /** Repositories synced into the `repositories` table at start-up (src/repositories/config.ts). */
    repositories: configuredRepositoriesSchema.default([]),
    /** The repository of a new ticket that names none; must be one of `repositories`. */
    defaultRepository: repositoryName.optional(),
    /** SLAs per phase, escalation webhooks and the Web UI base of their links (issue 11, src/ticket/sla-config.ts). */
    escalation: escalationConfigSchema,
  })
  .superRefine(({ repositories, defaultRepository }, ctx) => {
    if (defaultRepository !== undefined && !repositories.some(({ name }) => name === defaultRepository)) {
      ctx.addIssue({ code: 'custom', message: `names no repository of "repositories": "${defaultRepository}"`, path: ['defaultRepository'] });
    }
  });

/** A backend entry of the file. */
export type AgentBackendConfig = z.infer<typeof schema>['backends'][number];

/** A `command` backend entry. */
export type CommandBackendConfig = Extract<AgentBackendConfig, { type: 'command' }>;

/** An `http` backend entry. */
export type HttpBackendConfig = Extract<AgentBackendConfig, { type: 'http' }>;

/** A coding-agent CLI entry (issue 10): `claude-code`, `codex`, `gemini-cli` or `aider`. */
export type { CliBackendConfig };

/** The validated file; its gate policy has the requirements already merged onto the seeds' (src/phase-work/gate-policy.ts). */
export interface OrchestratorConfig extends GatePolicy {
  backends: AgentBackendConfig[];
  /** Directory the file was read from; relative `args` of command backends resolve against it. */
  baseDir: string;
  /** The file's repositories, URLs resolved (see {@link parseOrchestratorConfig}); `[]` when it has none. */
  repositories: ConfiguredRepository[];
  /** Name of the repository new tickets get when they name none; undefined: such tickets have no repository. */
  defaultRepository?: string;
  /** Per model, USD per million tokens (src/agents/cli/config.ts). */
  prices: ModelPrices;
  /** Absolute path of the secrets file, if the file names one (resolved against `baseDir`). */
  secretsFile?: string;
  /** SLAs per phase, escalation webhooks and the Web UI base URL (issue 11, "Stalled tickets"). */
  escalation: EscalationConfig;
}

/** Options of {@link parseOrchestratorConfig} and {@link loadOrchestratorConfig}. */
export interface OrchestratorConfigOptions {
  /** What `${DATA_DIR}` in a repository's `url` stands for (the process's DATA_DIR); default `.data` in the repository. */
  dataDir?: string;
}

/** Default location of the file: `config/orchestrator.json` in the repository. */
export const DEFAULT_ORCHESTRATOR_CONFIG = path.resolve(__dirname, '..', '..', 'config', 'orchestrator.json');

/**
 * Parses a configuration object (as read from JSON). A repository's `url` is resolved here, once:
 * `${DATA_DIR}` becomes `options.dataDir` (absolute), then a relative local path resolves against
 * `baseDir`; its `seedFrom` resolves against `baseDir` too (src/repositories/config.ts).
 *
 * @param baseDir directory relative command arguments and repository paths resolve against
 * @throws Error listing every invalid field (zod's `prettifyError`), e.g. `✖ Too small: … → at backends[0].command`
 *   or `✖ names no repository … → at defaultRepository`; Error on an unknown `${...}` placeholder in a url.
 */
export function parseOrchestratorConfig(raw: unknown, baseDir: string, { dataDir = DEFAULT_DATA_DIR }: OrchestratorConfigOptions = {}): OrchestratorConfig {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid orchestrator configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const { backends, validationPhases, gates, defaultRepository, prices, secretsFile, escalation } = parsed.data;
  const rawRepositories = (raw as { repositories?: Record<string, unknown>[] }).repositories ?? [];
  const repositories = resolveConfiguredRepositories(parsed.data.repositories, rawRepositories, baseDir, dataDir);
  return {
    backends,
    ...gatePolicy(gates, validationPhases),
    baseDir,
    repositories,
    defaultRepository,
    prices,
    secretsFile: secretsFile === undefined ? undefined : path.resolve(baseDir, secretsFile),
    escalation,
  };
}

/** Reads and validates the file at `file` (see {@link parseOrchestratorConfig}). @throws Error when it is unreadable or invalid. */
export function loadOrchestratorConfig(file: string = DEFAULT_ORCHESTRATOR_CONFIG, options: OrchestratorConfigOptions = {}): OrchestratorConfig {
  const text = readFileSync(file, 'utf8');
  return parseOrchestratorConfig(JSON.parse(text), path.dirname(path.resolve(file)), options);
}

/**
 * The backend for a task: the first whose capabilities include every required one (a task that
 * requires none goes to the first backend), or `undefined` when none qualifies.
 */
export function selectBackend(config: OrchestratorConfig, required: readonly string[]): AgentBackendConfig | undefined {
  return config.backends.find((backend) => required.every((capability) => backend.capabilities.includes(capability)));
}

/** The assignment the workflow schedules with: name, type and timeouts of `backend`. */
export function assignmentOf(backend: AgentBackendConfig): AgentAssignment {
  return {
    name: backend.name,
    type: backend.type,
    timeoutMs: backend.timeoutMs,
    heartbeatTimeoutMs: backend.type === 'http' ? 0 : backend.heartbeatTimeoutMs,
  };
}
