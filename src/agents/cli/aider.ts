/**
 * The Aider backend (`aider-chat` 0.86.2, installed into `.tools/aider-venv` by
 * `scripts/install-aider.mjs`): one headless `aider --message …` run against an OpenAI-compatible
 * chat-completions endpoint, and how to read its plain-text output.
 *
 * Aider has no machine-readable output and exits 0 even when the API call fails
 * (Aider-AI/aider#5552), so the outcome comes from its output lines:
 * - each successful model call prints `Tokens: 1.2k sent[, N cache write][, N cache hit], 40 received.`
 *   followed, when the model has prices (the `--model-metadata-file` gives them), by
 *   ` Cost: $0.0042 message, $0.0042 session.`; token counts above 999 are rounded by Aider
 *   (`1.2k`, `12k`), so the usage is approximate;
 * - each API failure prints `litellm.<ExceptionName>: <message>` (wrapped at the console width,
 *   continued on the next lines), then, for the errors Aider retries itself (429, 5xx, timeouts,
 *   connection errors), `Retrying in 0.2 seconds...` — it doubles the delay up to ~60 s in all, with no
 *   flag to turn that off — and gives up with the error as its last words, exit code 0;
 * - each applied whole-file edit prints `Applied edit to <path>` (counted as tool calls).
 *
 * Retries: the OpenAI SDK under LiteLLM retries a 429/5xx twice on its own unless the model settings
 * say `max_retries: 0` ({@link aiderModelSettings} does); Aider's loop then retries 429, 5xx,
 * timeouts and connection errors itself (0.25 s, 0.5 s … 32 s: 8 retries, ~64 s) and cannot be
 * turned off, so a scripted 429 then success completes in one run. A model that never answers is
 * waited for 600 s per request (`--timeout <s>` in `extraArgs` shortens that; the timeout is then
 * retried like a 5xx), with no output meanwhile: the runner's idle timeout kills it first.
 * The prompt goes in one argument, which Linux caps at 128 KiB (E2BIG beyond): a longer prompt needs
 * `--message-file <path>` written by the runner instead.
 * Start-up takes 3–5 s here (once `.pyc` files exist): the metadata file and
 * `LITELLM_LOCAL_MODEL_COST_MAP` keep LiteLLM and Aider from fetching price lists from GitHub.
 *
 * Pure module (no Node imports). The runner writes the two files {@link aiderModelMetadata} and
 * {@link aiderModelSettings} return into the task's scratch directory and passes their paths in
 * {@link AiderOptions}; it passes `OPENAI_API_KEY` through its environment allow-list; and, because
 * the repo map writes its cache `.aider.tags.cache.v4/` into the working tree, it removes that cache
 * after the run, before the orchestrator commits (`--no-gitignore` keeps Aider from editing
 * `.gitignore` itself).
 */
import type { CliBackend, CliInvocation, CliOutcome, CliProgress, CliRequest, CliUsage } from './contracts';
import { emptyUsage } from './output';

/** What the runner provides beyond the request: where the model is and the files it wrote. */
export interface AiderOptions {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1` (`--openai-api-base`). */
  openaiApiBase: string;
  /** Path of the JSON file from {@link aiderModelMetadata} (`--model-metadata-file`). */
  modelMetadataFile: string;
  /** Path of the YAML file from {@link aiderModelSettings} (`--model-settings-file`). */
  modelSettingsFile: string;
  /** Files to add to the chat (Aider edits only those, relative to the working tree). */
  files?: string[];
}

/** Prices and limits of one model, for Aider's cost report. */
export interface AiderModelInfo {
  /** USD per input token, e.g. 0.000003. */
  inputCostPerToken: number;
  /** USD per output token. */
  outputCostPerToken: number;
  /** Context window in tokens. */
  maxInputTokens: number;
  /** Most output tokens of one reply. */
  maxOutputTokens: number;
}

/** The model Aider uses when the request names none. */
export const AIDER_DEFAULT_MODEL = 'gpt-4o';

/** `openai/<name>`: LiteLLM routes it to `--openai-api-base` and sends `<name>` as the model. */
function aiderModelName(model: string | undefined): string {
  const name = model ?? AIDER_DEFAULT_MODEL;
  return name.startsWith('openai/') ? name : `openai/${name}`;
}

/**
 * The `--model-metadata-file` content (LiteLLM's model-prices JSON) for one model: with it Aider
 * knows the context window without fetching LiteLLM's price list from GitHub, and reports a cost.
 */
export function aiderModelMetadata(model: string | undefined, info: AiderModelInfo): string {
  return JSON.stringify({
    [aiderModelName(model)]: {
      max_input_tokens: info.maxInputTokens,
      max_output_tokens: info.maxOutputTokens,
      max_tokens: info.maxOutputTokens,
      input_cost_per_token: info.inputCostPerToken,
      output_cost_per_token: info.outputCostPerToken,
      litellm_provider: 'openai',
      mode: 'chat',
    },
  });
}

/**
 * The `--model-settings-file` content (YAML): `max_retries: 0` for the OpenAI SDK under LiteLLM (it otherwise retries a 429 or 5xx twice before Aider sees it; Aider's
 * own retry loop cannot be turned off).
 */
export function aiderModelSettings(model: string | undefined): string {
  return [`- name: ${JSON.stringify(aiderModelName(model))}`, '  extra_params:', '    max_retries: 0', ''].join('\n');
}

const TOKENS = /^Tokens: (\S+) sent(?:, (\S+) cache write)?(?:, (\S+) cache hit)?, (\S+) received\.(?: Cost: \$(\S+) message, \$(\S+) session\.)?/;
const COST = /Cost: \$(\S+) message, \$(\S+) session\./;
const LITELLM_ERROR = /^litellm\.(\w+): (.*)$/;
const APPLIED = /^Applied edit to (.+)$/;
const TOKEN_LIMIT = /^Model \S+ has hit a token limit!/;
const BANNER = /^(Aider v\d|Model: |Git repo: |Repo-map: |Added .+ to the chat\.|Use \/help |https:\/\/aider\.chat\/HISTORY)/;

/** `40`, `1.2k`, `12k`, `1.5M` → tokens (Aider's rounding kept). */
function parseCount(text: string | undefined): number {
  if (!text) return 0;
  const match = /^([\d.,]+)([kM]?)$/.exec(text);
  if (!match) return 0;
  const value = Number((match[1] ?? '').replace(/,/g, ''));
  return Math.round(value * (match[2] === 'k' ? 1_000 : match[2] === 'M' ? 1_000_000 : 1));
}

/** Usage summed over every `Tokens:` line; the cost is the last line's session total. */
function readUsage(lines: string[]): CliUsage {
  const usage = emptyUsage();
  for (const line of lines) {
    const match = TOKENS.exec(line);
    if (!match) {
      // With both cache counts Aider puts the cost on its own line.
      const cost = COST.exec(line);
      if (cost && line.startsWith('Cost:')) usage.costUsd = Number(cost[2]);
      continue;
    }
    usage.inputTokens += parseCount(match[1]) + parseCount(match[2]);
    usage.cachedTokens += parseCount(match[3]);
    usage.outputTokens += parseCount(match[4]);
    usage.turns += 1;
    if (match[6] !== undefined) usage.costUsd = Number(match[6]);
  }
  if (usage.costUsd !== null) usage.costSource = 'reported';
  return usage;
}

/** Whether another attempt could help after this LiteLLM exception, and its kind. */
function classify(exception: string): { retryable: boolean; kind: string } {
  switch (exception) {
    case 'RateLimitError':
    case 'RouterRateLimitError':
      return { retryable: true, kind: 'rate_limited' };
    case 'AuthenticationError':
    case 'PermissionDeniedError':
      return { retryable: false, kind: 'auth' };
    case 'BadRequestError':
    case 'NotFoundError':
    case 'ContextWindowExceededError':
    case 'UnsupportedParamsError':
    case 'ContentPolicyViolationError':
    case 'ImageFetchError':
      return { retryable: false, kind: 'api_error' };
    default:
      // InternalServerError, ServiceUnavailableError, BadGatewayError, APIConnectionError, Timeout, APIError…
      return { retryable: true, kind: 'api_error' };
  }
}

/** The error on the first of `lines` with its wrapped continuation lines (up to a blank line). */
function errorText([first, ...rest]: string[]): string {
  const parts = [first?.trim() ?? ''];
  for (const next of rest) {
    const line = next.trim();
    if (!line || line.startsWith('Retrying in ') || TOKENS.test(line)) break;
    parts.push(line);
  }
  return parts.join(' ');
}

export const aiderBackend = (options: AiderOptions): CliBackend => ({
  type: 'aider',

  /**
   * `aider --message <prompt> --yes-always --no-auto-commits --no-dirty-commits --no-stream …
   * --model openai/<model> [files…] [extraArgs…]`, stdin /dev/null. `maxTurns`, `budgetUsd` and
   * `resumeSessionId` have no Aider equivalent and are ignored. Env: `LITELLM_LOCAL_MODEL_COST_MAP`
   * (LiteLLM reads its bundled price list instead of fetching it), `BROWSER=true` (Aider "opens" URLs
   * found in error messages with `--yes-always`: make that a no-op), `COLUMNS` (wider console lines,
   * so messages wrap less), `AIDER_CHECK_UPDATE`/`AIDER_ANALYTICS_DISABLE` as in the flags.
   */
  invocation(request: CliRequest): CliInvocation {
    return {
      command: request.binary,
      args: [
        '--message',
        request.prompt,
        '--yes-always',
        '--no-auto-commits',
        '--no-dirty-commits',
        '--no-stream',
        '--no-pretty',
        '--no-fancy-input',
        '--no-gitignore',
        '--no-show-release-notes',
        '--no-suggest-shell-commands',
        '--no-check-update',
        '--analytics-disable',
        '--no-show-model-warnings',
        '--chat-history-file',
        '/dev/null',
        '--input-history-file',
        '/dev/null',
        '--openai-api-base',
        options.openaiApiBase,
        '--model-metadata-file',
        options.modelMetadataFile,
        '--model-settings-file',
        options.modelSettingsFile,
        '--model',
        aiderModelName(request.model),
        ...(options.files ?? []),
        ...(request.extraArgs ?? []),
      ],
      env: {
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        AIDER_CHECK_UPDATE: 'false',
        AIDER_ANALYTICS_DISABLE: 'true',
        BROWSER: 'true',
        COLUMNS: '400',
      },
    };
  },

  /** Last event: `banner`, `error`, `retry`, `usage`, `edit` or `output`; edits count as tool calls. */
  progress(progress: CliProgress, line: string): CliProgress {
    const tokens = TOKENS.exec(line);
    if (tokens) {
      const sum = parseCount(tokens[1]) + parseCount(tokens[2]) + parseCount(tokens[4]);
      return { ...progress, lastEventType: 'usage', tokens: progress.tokens + sum };
    }
    if (APPLIED.test(line)) return { ...progress, lastEventType: 'edit', toolCalls: progress.toolCalls + 1 };
    if (LITELLM_ERROR.test(line)) return { ...progress, lastEventType: 'error' };
    if (line.startsWith('Retrying in ')) return { ...progress, lastEventType: 'retry' };
    if (BANNER.test(line)) return { ...progress, lastEventType: 'banner' };
    return line.trim() ? { ...progress, lastEventType: 'output' } : progress;
  },

  /**
   * Killed (exit code null) → retryable `process`; a non-zero exit (argument errors exit 2, start-up
   * errors 1) → permanent `usage` with the last line; an API error after the last `Tokens:` line →
   * failed, classified by its LiteLLM exception (429 `rate_limited` and 5xx/connection/timeout
   * `api_error` retryable; 400/404 `api_error` and 401/403 `auth` permanent); a token-limit report →
   * permanent `api_error`; no `Tokens:` line at all → permanent `protocol`. Otherwise `completed`,
   * the summary being the model's reply (its final message, so a trailing JSON object stays last,
   * where the task output reads it), or the `Applied edit to …` lines when the reply is empty.
   */
  outcome(lines: string[], exitCode: number | null): CliOutcome {
    const usage = readUsage(lines);
    const lastTokens = lines.reduce((last, line, i) => (TOKENS.test(line) ? i : last), -1);
    if (exitCode === null) {
      return {
        status: 'failed',
        retryable: true,
        kind: 'process',
        error: 'aider was killed before it exited (idle timeout or signal)',
        usage,
      };
    }
    if (exitCode !== 0) {
      const last = [...lines].reverse().find((line) => line.trim()) ?? '(no output)';
      return { status: 'failed', retryable: false, kind: 'usage', error: `aider exited ${exitCode}: ${last.trim()}`, usage };
    }
    for (let i = lines.length - 1; i > lastTokens; i--) {
      const line = lines[i] ?? '';
      const error = LITELLM_ERROR.exec(line);
      if (error) {
        return { status: 'failed', ...classify(error[1] ?? ''), error: `aider: ${errorText(lines.slice(i))}`, usage };
      }
      if (TOKEN_LIMIT.test(line)) {
        return { status: 'failed', retryable: false, kind: 'api_error', error: `aider: ${line.trim()}`, usage };
      }
    }
    if (lastTokens < 0) {
      return {
        status: 'failed',
        retryable: false,
        kind: 'protocol',
        error: 'aider: no "Tokens: … sent, … received." line in its output (no model reply was read)',
        usage,
      };
    }
    const firstTokens = lines.findIndex((line) => TOKENS.test(line));
    // The reply follows the banner and the retried errors (each ending with `Retrying in …`).
    const replyStart = lines.reduce((last, line, i) => (i < firstTokens && (BANNER.test(line) || line.startsWith('Retrying in ')) ? i : last), -1);
    const reply = lines
      .slice(replyStart + 1, firstTokens)
      .join('\n')
      .trim();
    const edits = lines.filter((line) => APPLIED.test(line)).map((line) => line.trim());
    return { status: 'completed', summary: reply || edits.join('\n'), usage };
  },
});
