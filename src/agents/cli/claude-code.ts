/**
 * The `claude-code` CLI backend (issue 10): Claude Code 2.1 run headless as
 * `claude -p --output-format stream-json --verbose --permission-mode bypassPermissions` with the
 * prompt on stdin.
 *
 * Its stdout is one JSON object a line: `system/init` (tools, model, session ID), `assistant`
 * (one model message: `content` with `text` / `tool_use` blocks and the message's `usage`), `user`
 * (tool results), `system/api_retry` (the CLI retrying a 429/5xx itself), and last a
 * `{"type":"result", subtype, is_error, api_error_status, result | errors, num_turns, session_id,
 * total_cost_usd, usage, modelUsage}`. The outcome is read from that result event, never from the
 * exit code: API failures exit 1 with `subtype:"success"` but `is_error:true` and
 * `api_error_status` set. Verified against 2.1.332 and a scripted model server
 * (test/agents/cli/claude-code.test.ts; recorded lines in test/fixtures/cli/claude-code/).
 *
 * A stream that goes silent: Claude Code writes nothing until its own stream watchdog fires after
 * 300 s (`CLAUDE_STREAM_IDLE_TIMEOUT_MS`, which it never lowers below 300 000), then resends the
 * request once without streaming (`stream:false`, unless
 * `CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1`) and, when that fails, ends with an is_error result;
 * `API_TIMEOUT_MS` does not shorten it. The runner's idle timeout must therefore be the shorter one.
 * On SIGTERM the CLI exits 143 at once without a result event.
 *
 * Pure module: no Node imports.
 */
import type { CliBackend, CliInvocation, CliOutcome, CliProgress, CliRequest, CliUsage } from './contracts';
import { emptyUsage, isObject, num, parseJsonLine, type Json } from './output';

/** How the Claude Code process is set up beyond the request. */
export interface ClaudeCodeOptions {
  /**
   * The orchestrator runs as root (`process.getuid() === 0`): Claude Code then refuses
   * bypassPermissions ("--dangerously-skip-permissions cannot be used with root/sudo privileges")
   * unless `IS_SANDBOX=1`, which this sets.
   */
  runningAsRoot: boolean;
  /**
   * `CLAUDE_CODE_MAX_RETRIES`: how often the CLI itself retries a 429/5xx/connection failure
   * (with backoff, reported as `system/api_retry` events). Unset: the CLI's default, 10 retries
   * (about 185 s before it gives up). 0 leaves every retry to the orchestrator.
   */
  maxRetries?: number;
}

/** The variables that keep Claude Code offline and quiet apart from the model API. */
export const CLAUDE_CODE_QUIET_ENV: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_AUTOUPDATER: '1',
};

const CLI = 'claude-code';

/** `type` or `type/subtype`, e.g. `assistant`, `system/init`, `system/api_retry`, `result/success`. */
const eventType = (event: Json): string => (typeof event.subtype === 'string' ? `${String(event.type)}/${event.subtype}` : String(event.type));

/**
 * Tokens of an Anthropic `usage` object (snake case), input counting cache reads and writes so
 * `cachedTokens` is a part of `inputTokens`.
 */
function anthropicUsage(usage: Json): { input: number; output: number; cached: number } {
  const cached = num(usage.cache_read_input_tokens);
  return { input: num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + cached, output: num(usage.output_tokens), cached };
}

/**
 * Tokens of the result event: the sum of `modelUsage` (camel case, per model) when it has any
 * model — it is exact even where `usage` is all zeros (a run stopped by `--max-budget-usd`) —
 * else the top-level `usage`.
 */
function resultTokens(result: Json): { input: number; output: number; cached: number } {
  const models = isObject(result.modelUsage) ? Object.values(result.modelUsage).filter(isObject) : [];
  if (models.length > 0) {
    return models.reduce<{ input: number; output: number; cached: number }>(
      (sum, m) => {
        const cached = num(m.cacheReadInputTokens);
        return {
          input: sum.input + num(m.inputTokens) + num(m.cacheCreationInputTokens) + cached,
          output: sum.output + num(m.outputTokens),
          cached: sum.cached + cached,
        };
      },
      { input: 0, output: 0, cached: 0 },
    );
  }
  return isObject(result.usage) ? anthropicUsage(result.usage) : { input: 0, output: 0, cached: 0 };
}

/** Exit codes of a Claude Code process that got SIGTERM (it catches it and exits 143 at once) or SIGKILL. */
const KILLED_EXIT_CODES: readonly number[] = [128 + 15, 128 + 9];

/** The fields a result event must have, with their `typeof`. */
const RESULT_FIELDS = { subtype: 'string', is_error: 'boolean', num_turns: 'number', session_id: 'string' } as const;

/** How a failed result with an HTTP status is classified: 429 and 5xx retryable, 401/403 auth, other 4xx permanent. */
function apiFailure(status: number): { kind: string; retryable: boolean } {
  if (status === 429) return { kind: 'rate_limited', retryable: true };
  if (status >= 500) return { kind: 'api_error', retryable: true };
  if (status === 401 || status === 403) return { kind: 'auth', retryable: false };
  return { kind: 'api_error', retryable: false };
}

/** The CLI's own message for a failed result: `result` (API errors) or `errors` (limits). */
function resultMessage(result: Json): string {
  if (typeof result.result === 'string' && result.result !== '') return result.result;
  if (Array.isArray(result.errors) && result.errors.length > 0) return result.errors.map(String).join('; ');
  return `result ${String(result.subtype)} with is_error true and no message`;
}

/**
 * The Claude Code backend.
 *
 * - `invocation`: argv `-p --output-format stream-json --verbose --permission-mode
 *   bypassPermissions [--model M] [--max-turns N] [--max-budget-usd USD] [--resume SESSION]
 *   [...extraArgs]`, the prompt on stdin (`claude -p` reads it there when no prompt argument is
 *   given): as an argument a prompt over 128 KiB fails the spawn (E2BIG), one starting with `-`
 *   is taken for an option ("unknown option"), and any shows in `ps`. Env
 *   {@link CLAUDE_CODE_QUIET_ENV}, plus `IS_SANDBOX=1` as root and `CLAUDE_CODE_MAX_RETRIES` when
 *   set. `ANTHROPIC_API_KEY` / `ANTHROPIC_BASE_URL` come from the runner's allow-listed
 *   environment.
 * - `progress`: every JSON line sets `lastEventType`; each `tool_use` block of an `assistant` event
 *   counts one tool call. Claude Code writes one `assistant` event per content block of a model
 *   message, each repeating the message's `usage`, so tokens are added on the first of consecutive
 *   `assistant` events only (a heuristic: parallel subagents could interleave). The output count
 *   there is the streaming start value (1), so the running total is low until the `result` event,
 *   which replaces it with the exact total.
 * - `outcome`: from the last `result` event (see the module comment); without one, a killed
 *   process (`exitCode` null, or 143/137: Claude Code catches SIGTERM and exits 143 without a
 *   result) is a retryable `process` failure, anything else a permanent one (`process` when the
 *   exit code is non-zero — e.g. bypass refused as root, whose message is on stderr, so the runner
 *   passes stderr lines too — else `protocol`). The runner passes null for a run it stopped itself
 *   (idle timeout, cancellation), whatever the CLI exited with.
 */
export function createClaudeCodeBackend(options: ClaudeCodeOptions): CliBackend {
  return {
    type: CLI,

    invocation(request: CliRequest): CliInvocation {
      const args = ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions'];
      if (request.model !== undefined) args.push('--model', request.model);
      if (request.maxTurns !== undefined) args.push('--max-turns', String(request.maxTurns));
      if (request.budgetUsd !== undefined) args.push('--max-budget-usd', String(request.budgetUsd));
      if (request.resumeSessionId !== undefined) args.push('--resume', request.resumeSessionId);
      args.push(...(request.extraArgs ?? []));
      const env: Record<string, string> = { ...CLAUDE_CODE_QUIET_ENV };
      if (options.runningAsRoot) env.IS_SANDBOX = '1';
      if (options.maxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries);
      return { command: request.binary, args, env, stdin: request.prompt };
    },

    progress(progress: CliProgress, line: string): CliProgress {
      const event = parseJsonLine(line);
      if (!event || typeof event.type !== 'string') return progress;
      const next: CliProgress = { ...progress, lastEventType: eventType(event) };
      if (event.type === 'assistant' && isObject(event.message)) {
        const content = Array.isArray(event.message.content) ? event.message.content : [];
        next.toolCalls += content.filter((block) => isObject(block) && block.type === 'tool_use').length;
        // One event per content block, each repeating its message's usage: count it on the first.
        if (isObject(event.message.usage) && progress.lastEventType !== 'assistant') {
          const tokens = anthropicUsage(event.message.usage);
          next.tokens += tokens.input + tokens.output;
        }
      } else if (event.type === 'result') {
        const tokens = resultTokens(event);
        next.tokens = tokens.input + tokens.output;
      }
      return next;
    },

    outcome(lines: string[], exitCode: number | null): CliOutcome {
      const events = lines.map(parseJsonLine).filter((event): event is Json => event !== null);
      const result = events.filter((event) => event.type === 'result').at(-1);
      const init = events.find((event) => event.type === 'system' && event.subtype === 'init');
      const sessionId = typeof init?.session_id === 'string' ? init.session_id : null;
      if (!result) {
        const lastText = lines.filter((line) => line.trim() !== '' && parseJsonLine(line) === null).at(-1);
        const said = lastText === undefined ? '' : `: ${lastText.trim()}`;
        if (exitCode === null || KILLED_EXIT_CODES.includes(exitCode)) {
          const how = exitCode === null ? 'was killed' : `exited ${exitCode} (killed)`;
          return { status: 'failed', retryable: true, kind: 'process', error: `${CLI} ${how} before its result event${said}`, usage: emptyUsage(sessionId) };
        }
        return {
          status: 'failed',
          retryable: false,
          kind: exitCode === 0 ? 'protocol' : 'process',
          error: `${CLI} exited ${exitCode} without a result event (${events.length} JSON events)${said}`,
          usage: emptyUsage(sessionId),
        };
      }
      const missing = Object.entries(RESULT_FIELDS)
        .filter(([field, type]) => typeof result[field] !== type)
        .map(([field, type]) => `${field} (${type})`);
      if (missing.length > 0) {
        return {
          status: 'failed',
          retryable: false,
          kind: 'protocol',
          error: `${CLI} result event lacks ${missing.join(', ')}`,
          usage: emptyUsage(sessionId),
        };
      }
      const tokens = resultTokens(result);
      const cost = typeof result.total_cost_usd === 'number' ? result.total_cost_usd : null;
      const usage: CliUsage = {
        inputTokens: tokens.input,
        outputTokens: tokens.output,
        cachedTokens: tokens.cached,
        costUsd: cost,
        costSource: cost === null ? null : 'reported',
        turns: result.num_turns as number,
        sessionId: result.session_id as string,
      };
      const subtype = result.subtype as string;
      if (result.is_error === false && subtype === 'success') {
        return { status: 'completed', summary: typeof result.result === 'string' ? result.result : '', usage };
      }
      const error = `${CLI}: ${resultMessage(result)}`;
      if (subtype === 'error_max_turns') return { status: 'failed', retryable: false, kind: 'max_turns', error, usage };
      if (subtype === 'error_max_budget_usd') return { status: 'failed', retryable: false, kind: 'max_budget', error, usage };
      if (typeof result.api_error_status === 'number') return { status: 'failed', ...apiFailure(result.api_error_status), error, usage };
      // is_error without an HTTP status: "success" is a request that never got an answer
      // (ECONNREFUSED, a timeout), worth another attempt; any other subtype
      // (error_during_execution, …) is the CLI's own failure.
      return subtype === 'success'
        ? { status: 'failed', retryable: true, kind: 'api_error', error, usage }
        : { status: 'failed', retryable: false, kind: 'process', error, usage };
    },
  };
}
