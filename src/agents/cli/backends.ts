/**
 * From a CLI backend entry of the configuration to what the runner (src/agents/cli/runner.ts)
 * starts (issue 10, "Backends"): the backend module of its type with the options the entry implies,
 * the variables of the run's own HOME and TMPDIR (and CODEX_HOME), the files the CLI needs before
 * it starts (Gemini CLI's settings, Aider's model metadata and settings), the clean-up after it,
 * and where its executable is.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { aiderBackend, aiderModelMetadata, aiderModelSettings } from './aider';
import { createClaudeCodeBackend } from './claude-code';
import { codexBackend } from './codex';
import { CLI_BINARIES, type CliBackendConfig, type CliBackendType } from './config';
import type { CliBackend } from './contracts';
import { GEMINI_DEFAULT_MODEL, GEMINI_SETTINGS_PATH, geminiCliBackend, geminiSettings } from './gemini-cli';

/** The run's directories: HOME (kept across a task's attempts, so a retry can resume) and TMPDIR (this attempt's). */
export interface CliDirs {
  home: string;
  tmp: string;
}

/** A CLI backend ready for one run. */
export interface CliSetup {
  backend: CliBackend;
  /** The whole environment of the process: the given one plus HOME, TMPDIR (and CODEX_HOME). */
  env: Record<string, string>;
  /** Absolute path → content: files the runner writes (creating their directories) before it spawns the CLI. */
  files: Record<string, string>;
  /** The model the CLI is asked for (Gemini CLI always gets one), or undefined for the CLI's default. */
  model: string | undefined;
  /** Removes what the CLI leaves outside the run's directories (Codex's daemon directory); never throws. */
  cleanup(): Promise<void>;
}

/**
 * The CLI types whose session a retry can resume: Claude Code (`--resume`, sessions under
 * `$HOME/.claude`), Codex (`codex exec resume`, sessions under CODEX_HOME, kept in HOME here) and
 * Gemini CLI (`--resume`, which finds the session when HOME is the first run's — verified in
 * test/agents/cli/gemini-cli.test.ts). Aider has no sessions.
 */
export const RESUMABLE_CLIS: ReadonlySet<CliBackendType> = new Set(['claude-code', 'codex', 'gemini-cli']);

/** Codex's app-server rendezvous directory: a literal `/tmp` path whatever TMPDIR says, left behind empty. */
export const codexDaemonDir = (): string => `/tmp/codex-daemon-${process.getuid?.() ?? 0}`;

/** Where Gemini CLI's `general.maxAttempts` tops out. */
const GEMINI_MAX_ATTEMPTS = 10;

/**
 * Aider's model limits in the metadata file (it needs some to size its repository map and to report
 * a context overflow). Prices there are 0: Aider then prints tokens without a cost, and the
 * orchestrator prices them from its `prices` table like Codex's and Gemini CLI's.
 */
const AIDER_MODEL_LIMITS = { maxInputTokens: 128_000, maxOutputTokens: 16_384 } as const;

/** Aider's endpoint when the entry names no `openaiApiBase`. */
const OPENAI_API_BASE = 'https://api.openai.com/v1';

/** Removes `dir` when it exists and is empty (rmdir refuses a non-empty one: another Codex run may be using it). */
async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}

/**
 * The backend of `config`'s type for one run in `dirs`, over `env` (the allow-listed environment
 * from {@link import('./environment').cliEnvironment}):
 * - `claude-code`: bypassPermissions with `IS_SANDBOX=1` when this process runs as root,
 *   `CLAUDE_CODE_MAX_RETRIES` = `cliRetries`.
 * - `codex`: the entry's `provider` (request and stream retries = `cliRetries`), CODEX_HOME =
 *   `<home>/.codex` (created here; under HOME so a resume finds the session); `cleanup` removes
 *   `/tmp/codex-daemon-<uid>` when empty.
 * - `gemini-cli`: `<home>/.gemini/settings.json` from `geminiSettings` (turn limit `maxTurns`,
 *   `general.maxAttempts` = `cliRetries` + 1, at most 10); the model defaults to `gemini-2.5-pro`.
 * - `aider`: the model metadata and settings files in `<tmp>`, `openaiApiBase` (default OpenAI's),
 *   the entry's `files`.
 */
export function cliBackendFor(config: CliBackendConfig, dirs: CliDirs, env: Record<string, string>): CliSetup {
  const runEnv: Record<string, string> = { ...env, HOME: dirs.home, TMPDIR: dirs.tmp };
  const none = (): Promise<void> => Promise.resolve();
  switch (config.type) {
    case 'claude-code':
      return {
        backend: createClaudeCodeBackend({ runningAsRoot: process.getuid?.() === 0, maxRetries: config.cliRetries }),
        env: runEnv,
        files: {},
        model: config.model,
        cleanup: none,
      };
    case 'codex': {
      const codexHome = path.join(dirs.home, '.codex');
      // Codex refuses a CODEX_HOME that does not exist.
      mkdirSync(codexHome, { recursive: true });
      const provider = config.provider && { ...config.provider, requestMaxRetries: config.cliRetries, streamMaxRetries: config.cliRetries };
      return {
        backend: codexBackend({ provider }),
        env: { ...runEnv, CODEX_HOME: codexHome },
        files: {},
        model: config.model,
        cleanup: () => removeIfEmpty(codexDaemonDir()),
      };
    }
    case 'gemini-cli': {
      const settings = geminiSettings({ maxTurns: config.maxTurns }, { maxAttempts: Math.min(config.cliRetries + 1, GEMINI_MAX_ATTEMPTS) });
      return {
        backend: geminiCliBackend,
        env: runEnv,
        files: { [path.join(dirs.home, GEMINI_SETTINGS_PATH)]: JSON.stringify(settings, null, 2) },
        model: config.model ?? GEMINI_DEFAULT_MODEL,
        cleanup: none,
      };
    }
    case 'aider': {
      const modelMetadataFile = path.join(dirs.tmp, 'aider-model-metadata.json');
      const modelSettingsFile = path.join(dirs.tmp, 'aider-model-settings.yml');
      return {
        backend: aiderBackend({ openaiApiBase: config.openaiApiBase ?? OPENAI_API_BASE, modelMetadataFile, modelSettingsFile, files: config.files }),
        env: runEnv,
        files: {
          [modelMetadataFile]: aiderModelMetadata(config.model, { inputCostPerToken: 0, outputCostPerToken: 0, ...AIDER_MODEL_LIMITS }),
          [modelSettingsFile]: aiderModelSettings(config.model),
        },
        model: config.model,
        cleanup: none,
      };
    }
  }
}

/**
 * The executable of `config`: its `binary` when absolute; resolved against `baseDir` (the
 * configuration file's directory) when it starts with `./` or `../`; otherwise the name (default
 * {@link CLI_BINARIES}) in `<projectRoot>/node_modules/.bin`, then, for Aider,
 * `<projectRoot>/.tools/aider-venv/bin`, and else the bare name, looked up on PATH at spawn.
 */
export function resolveBinary(config: Pick<CliBackendConfig, 'type' | 'binary'>, baseDir: string, projectRoot: string): string {
  const name = config.binary ?? CLI_BINARIES[config.type];
  if (path.isAbsolute(name)) return name;
  if (name.startsWith('./') || name.startsWith('../')) return path.resolve(baseDir, name);
  const candidates = [path.join(projectRoot, 'node_modules', '.bin', name)];
  if (config.type === 'aider') candidates.push(path.join(projectRoot, '.tools', 'aider-venv', 'bin', name));
  return candidates.find((candidate) => existsSync(candidate)) ?? name;
}
