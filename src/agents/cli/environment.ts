/**
 * The environment a coding-agent CLI runs with (issue 10, "Backends": an allow-list of environment
 * variables passed through, API keys from the orchestrator's environment or a secrets file, never in
 * logs, task rows or histories): {@link cliEnvironment} builds it from nothing but the allow-list,
 * {@link loadSecrets} reads the secrets file, and {@link redactor} scrubs the secret values from every
 * message, summary and log line that leaves the runner.
 */
import { readFile } from 'node:fs/promises';
import type { CliBackendConfig } from './config';

/** Variables of the orchestrator's own environment every CLI gets (when set): the rest stays out. */
export const BASE_ENV_NAMES = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;

/** What replaces a secret value in redacted text. */
export const REDACTED = '[redacted]';

/** Shortest value {@link redactor} replaces, characters: shorter ones (e.g. `1`) would shred ordinary text. */
export const MIN_REDACTED_LENGTH = 4;

/** The environment variable naming the secrets file, overriding the configuration's `secretsFile`. */
export const SECRETS_FILE_ENV = 'ORCHESTRATOR_SECRETS_FILE';

/**
 * The CLI's environment: {@link BASE_ENV_NAMES} from `source` (when set), then each of
 * `config.passEnv` from `source`, else from `secrets` (a name in neither is left out), then
 * `config.env` (fixed, non-secret values, which win). Nothing else of `source` gets in; the runner
 * adds the backend's own variables and the run's HOME and TMPDIR.
 */
export function cliEnvironment(
  config: Pick<CliBackendConfig, 'passEnv' | 'env'>,
  source: NodeJS.ProcessEnv,
  secrets: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_ENV_NAMES) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  for (const name of config.passEnv) {
    const value = source[name] ?? secrets[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...config.env };
}

/**
 * Reads the secrets file: a JSON object of string values, `{ "ANTHROPIC_API_KEY": "…" }`. The
 * environment variable {@link SECRETS_FILE_ENV} (in `process.env`) overrides `file`.
 *
 * @param file absolute path from the configuration's `secretsFile`, or undefined when it names none
 * @returns name → value; `{}` when no file is configured
 * @throws Error naming the file when it is missing or unreadable, not JSON, or not an object of strings
 */
export async function loadSecrets(file: string | undefined): Promise<Record<string, string>> {
  const path = process.env[SECRETS_FILE_ENV] || file;
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the secrets file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the secrets file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the secrets file ${path} must hold a JSON object of strings`);
  }
  const bad = Object.entries(parsed).filter(([, value]) => typeof value !== 'string');
  if (bad.length > 0) {
    throw new Error(`the secrets file ${path} must hold a JSON object of strings; not strings: ${bad.map(([name]) => name).join(', ')}`);
  }
  return parsed as Record<string, string>;
}

/**
 * A function that replaces every occurrence of each of `values` of at least
 * {@link MIN_REDACTED_LENGTH} characters with {@link REDACTED} (longer values first, so a secret
 * containing another is replaced whole).
 */
export function redactor(values: string[]): (text: string) => string {
  const secrets = [...new Set(values.filter((value) => value.length >= MIN_REDACTED_LENGTH))].sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join(REDACTED), text);
}
