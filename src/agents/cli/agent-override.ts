/**
 * `npm start -- --agent claude-code|codex|gemini-cli|aider` (issue 10, "Main job and docs"): one
 * coding-agent CLI on every capability, in place of the configuration's backends, for a user with
 * a key. The model and endpoints come from environment variables (documented in the README):
 * - `ORCHESTRATOR_AGENT_MODEL`: the model (default: the backend's, src/agents/cli/backends.ts);
 * - claude-code: `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` passed through;
 * - codex: `OPENAI_API_KEY` passed through; `OPENAI_BASE_URL` set → a custom Responses provider at
 *   that URL keyed by `OPENAI_API_KEY`;
 * - gemini-cli: `GEMINI_API_KEY`, `GOOGLE_GEMINI_BASE_URL` passed through;
 * - aider: `OPENAI_API_KEY` passed through; `OPENAI_BASE_URL` set → `--openai-api-base`;
 * - every CLI: the proxy variables ({@link PROXY_ENV}) passed through, for a machine behind a proxy.
 * Pure: no file, process or network access.
 */
import { z } from 'zod';
import type { OrchestratorConfig } from '../config';
import { CLI_BACKEND_TYPES, cliBackendSchemas, type CliBackendConfig, type CliBackendType } from './config';

/** The environment variable naming the model of the `--agent` backend. */
export const AGENT_MODEL_ENV = 'ORCHESTRATOR_AGENT_MODEL';

/** The proxy variables, upper and lower case, every `--agent` backend passes through (when set). */
export const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

/** Per CLI, the variables its backend passes through: its key and, where the CLI reads one, its endpoint. */
export const AGENT_PASS_ENV: Record<CliBackendType, string[]> = {
  'claude-code': ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'],
  codex: ['OPENAI_API_KEY'],
  'gemini-cli': ['GEMINI_API_KEY', 'GOOGLE_GEMINI_BASE_URL'],
  aider: ['OPENAI_API_KEY'],
};

/** True when `value` names a CLI backend type (`--agent`'s accepted values, {@link CLI_BACKEND_TYPES}). */
export function isCliBackendType(value: string): value is CliBackendType {
  return (CLI_BACKEND_TYPES as string[]).includes(value);
}

/**
 * `config` with its backends replaced by ONE backend of `type`, named `type`, serving every
 * capability any configured backend served (in first-seen order); everything else of `config`
 * (prices, secrets file, gates, repositories) unchanged. Its entry goes through the
 * configuration's schema, so it gets the same defaults (timeouts, idle timeout, no CLI retries).
 *
 * @param env where {@link AGENT_MODEL_ENV} and `OPENAI_BASE_URL` are read (the process environment)
 * @throws Error when `type` is no CLI backend type, or `OPENAI_BASE_URL` is not a URL
 */
export function agentOverride(config: OrchestratorConfig, type: string, env: Record<string, string | undefined>): OrchestratorConfig {
  if (!isCliBackendType(type)) throw new Error(`unknown agent "${type}": --agent takes one of ${CLI_BACKEND_TYPES.join(', ')}`);
  const capabilities = [...new Set(config.backends.flatMap((backend) => backend.capabilities))];
  const model = env[AGENT_MODEL_ENV] || undefined;
  const baseUrl = env.OPENAI_BASE_URL || undefined;
  const entry = {
    name: type,
    type,
    capabilities,
    model,
    passEnv: [...AGENT_PASS_ENV[type], ...PROXY_ENV],
    ...(type === 'codex' && baseUrl && { provider: { baseUrl, envKey: 'OPENAI_API_KEY' } }),
    ...(type === 'aider' && baseUrl && { openaiApiBase: baseUrl }),
  };
  const parsed = z.discriminatedUnion('type', cliBackendSchemas).safeParse(entry);
  if (!parsed.success) throw new Error(`cannot run --agent ${type}:\n${z.prettifyError(parsed.error)}`);
  const backend: CliBackendConfig = parsed.data;
  return { ...config, backends: [backend] };
}
