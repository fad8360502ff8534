/**
 * The configuration of the coding-agent CLI backends (issue 10): `claude-code`, `codex`,
 * `gemini-cli` and `aider` entries of `config/orchestrator.json`'s `backends`, the per-model price
 * table that prices tokens of a CLI that reports no cost, and the secrets file allow-listed
 * environment variables may come from.
 */
import { z } from 'zod';

/** The CLI backend types, with the executable each is found as when the entry names no `binary`. */
export const CLI_BINARIES = {
  'claude-code': 'claude',
  codex: 'codex',
  'gemini-cli': 'gemini',
  aider: 'aider',
} as const;

/** One of the CLI backend types. */
export type CliBackendType = keyof typeof CLI_BINARIES;

/** The CLI backend types, for the configuration's discriminated union and `npm start -- --agent`. */
export const CLI_BACKEND_TYPES = Object.keys(CLI_BINARIES) as CliBackendType[];

/** An environment variable name (POSIX portable). */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** The fields every CLI backend entry has. */
const cliFields = {
  name: z.string().min(1),
  capabilities: z.array(z.string().min(1)).min(1),
  /**
   * The executable: an absolute path, a path relative to the configuration file (`./…`, `../…`),
   * or a name looked up in the project's `node_modules/.bin`, then `.tools/aider-venv/bin` (aider),
   * then PATH. Default: the CLI's own name ({@link CLI_BINARIES}).
   */
  binary: z.string().min(1).optional(),
  /** The model, e.g. `claude-sonnet-4-5`, `gpt-5.5`, `gemini-2.5-pro`; the CLI's default when absent (Gemini CLI: `gemini-2.5-pro`). */
  model: z.string().min(1).optional(),
  /** Extra arguments appended to the command line as given. */
  args: z.array(z.string()).default([]),
  /** Most agent turns of one execution, where the CLI takes a limit (Claude Code, Gemini CLI). */
  maxTurns: z.number().int().positive().optional(),
  /** Most USD one execution may spend, where the CLI takes a limit (Claude Code `--max-budget-usd`). */
  maxBudgetUsd: z.number().positive().optional(),
  /**
   * Environment variables passed through to the CLI, by name, from the orchestrator's environment
   * or else the secrets file (e.g. `ANTHROPIC_API_KEY`); nothing else of the orchestrator's
   * environment reaches the CLI but PATH, LANG, LC_ALL and TZ. Their values never appear in logs,
   * task rows or histories (they are redacted from the CLI's messages).
   */
  passEnv: z.array(envName).default([]),
  /** Fixed, non-secret variables for the CLI (e.g. `ANTHROPIC_BASE_URL`). */
  env: z.record(envName, z.string()).default({}),
  /**
   * How often the CLI itself retries a 429/5xx before it gives up (Claude Code
   * `CLAUDE_CODE_MAX_RETRIES`, Gemini CLI `general.maxAttempts` − 1, Codex the provider's
   * `request_max_retries`); Aider's own retries cannot be turned off. Default 0: the orchestrator's
   * activity retries (with backoff, counted per execution) are the only ones.
   */
  cliRetries: z.number().int().min(0).default(0),
  /** No output event for this long, ms → the process group is killed and the attempt fails as retryable (default 5 min). */
  idleTimeoutMs: z.number().int().positive().default(300_000),
  /** Start-to-close timeout of one execution, ms (default 30 min). */
  timeoutMs: z.number().int().positive().default(1_800_000),
  /** Heartbeat timeout, ms (default 30 s); the activity heartbeats on every output event and every third of it. */
  heartbeatTimeoutMs: z.number().int().positive().default(30_000),
};

/** A custom model provider of Codex (`-c model_providers.<id>=…`): an OpenAI Responses-compatible endpoint. */
const codexProvider = z.strictObject({
  /** Base URL of the Responses API, e.g. `http://127.0.0.1:8080/v1`. */
  baseUrl: z.url(),
  /** The environment variable holding its key (must be in `passEnv`). */
  envKey: envName,
});

/** The CLI backend entries (one schema per type). */
export const cliBackendSchemas = [
  z.strictObject({ ...cliFields, type: z.literal('claude-code') }),
  z.strictObject({ ...cliFields, type: z.literal('codex'), provider: codexProvider.optional() }),
  z.strictObject({ ...cliFields, type: z.literal('gemini-cli') }),
  z.strictObject({
    ...cliFields,
    type: z.literal('aider'),
    /** The OpenAI-compatible API Aider calls (`--openai-api-base`); default OpenAI's. */
    openaiApiBase: z.url().optional(),
    /** Files Aider adds to the chat (relative to the working tree); it may also create others. */
    files: z.array(z.string().min(1)).default([]),
  }),
] as const;

/** A CLI backend entry of the configuration. */
export type CliBackendConfig = z.infer<(typeof cliBackendSchemas)[number]>;

/** The price of one model, USD per million tokens. */
const modelPrice = z.strictObject({
  inputUsdPerMTok: z.number().min(0),
  /** Input tokens served from the provider's cache; default the input price. */
  cachedInputUsdPerMTok: z.number().min(0).optional(),
  outputUsdPerMTok: z.number().min(0),
});

/** The configuration's `prices`: per model, what its tokens cost (for a CLI that reports tokens only: Codex, Gemini CLI). */
export const pricesSchema = z.record(z.string().min(1), modelPrice).default({});

/** The price table, model → price. */
export type ModelPrices = z.infer<typeof pricesSchema>;

/**
 * The cost of `usage` under `model`'s price, USD, or null when the table has no price for it.
 * Input tokens include the cached ones, which are charged at the cached price.
 */
export function priceUsage(
  prices: ModelPrices,
  model: string | undefined,
  usage: { inputTokens: number; outputTokens: number; cachedTokens: number },
): number | null {
  const price = model === undefined ? undefined : prices[model];
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const usd =
    (usage.inputTokens - cached) * price.inputUsdPerMTok +
    cached * (price.cachedInputUsdPerMTok ?? price.inputUsdPerMTok) +
    usage.outputTokens * price.outputUsdPerMTok;
  return usd / 1_000_000;
}
