/**
 * The Codex CLI backend (`@openai/codex`, verified with 0.171.0): `codex exec --json` run headless,
 * its JSONL event stream read into heartbeat progress and one outcome.
 *
 * Command line ({@link CodexBackendOptions} adds the provider):
 *   codex exec --json --skip-git-repo-check --sandbox workspace-write --disable plugins
 *     -c analytics.enabled=false [-c model_provider=local -c 'model_providers.local={…}'] [-m MODEL]
 *     [EXTRA_ARGS…] [resume SESSION_ID] -
 * The prompt goes on stdin (`-`), never in argv: no 128 KiB single-argument limit, no prompt starting
 * with `-` read as a flag, and the prompt stays out of `ps`. Codex has no turn or budget limit, so
 * `maxTurns` and `budgetUsd` are ignored.
 *
 * The runner must give every run its own HOME, TMPDIR and CODEX_HOME ({@link codexScratchEnv}):
 * Codex writes its SQLite state, sessions and logs into CODEX_HOME and a
 * `codex-bwrap-synthetic-mount-targets-<uid>` directory into TMPDIR. Whatever TMPDIR says it also
 * creates the empty directory `/tmp/codex-daemon-<uid>` (mode 0700; a literal `/tmp` path, its
 * app-server daemon's socket rendezvous), left behind after the run: remove it when empty. A resume
 * (`codex exec resume <id>`) needs the CODEX_HOME of the run it resumes (the session lives there).
 *
 * Stream (one JSON object a line): `thread.started{thread_id}`, `turn.started`,
 * `item.started`/`item.completed{item:{type: command_execution|file_change|agent_message|error|…}}`,
 * then `turn.completed{usage:{input_tokens, cached_input_tokens, cache_write_input_tokens,
 * output_tokens, reasoning_output_tokens}}` (exit 0) or `error{message}` events and
 * `turn.failed{error:{message}}` (exit 1). Exit 2 with nothing on stdout is a usage error.
 * Failures as Codex reports them (the provider's `request_max_retries`/`stream_max_retries` at 0, so
 * retries are the runner's): a 429 is never retried by Codex whatever `request_max_retries` says
 * (`exceeded retry limit, last status: 429 Too Many Requests`); a 503 is (`unexpected status 503 …`,
 * a 500 reads `We’re currently experiencing high demand…`); a 400 `invalid_request_error` comes
 * through as the provider's raw JSON body; a stream that goes silent waits `stream_idle_timeout_ms`
 * (300 s by default) before `stream disconnected before completion: idle timeout waiting for SSE`;
 * a refused connection prints `Reconnecting... waiting for network` three times and then waits
 * silently (still waiting after 25 s), so the runner's idle timeout is what ends it.
 * Tokens follow OpenAI's convention: input includes cached, output includes reasoning. No cost is
 * reported (`costUsd` null; the runner prices the tokens from its table).
 */
import type { CliBackend, CliInvocation, CliOutcome, CliProgress, CliRequest } from './contracts';
import { emptyUsage, num, parseEventLine, parseJsonLine, record } from './output';

/** A custom OpenAI-compatible provider (`wire_api="responses"`; Codex rejects `"chat"`). */
export interface CodexProvider {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:8080/v1` (Codex posts to `<baseUrl>/responses`). */
  baseUrl: string;
  /** Name of the environment variable holding the API key (passed through by the runner). */
  envKey: string;
  /** Codex's own retries of a failed request (5xx, transport; never a 429); 0 leaves retries to the runner. */
  requestMaxRetries?: number;
  /** Codex's own reconnects of a dropped stream; 0 leaves them to the runner. */
  streamMaxRetries?: number;
  /** Milliseconds without a stream event before Codex itself fails the turn (its default is 300000). */
  streamIdleTimeoutMs?: number;
}

/** Backend options from the configuration. */
export interface CodexBackendOptions {
  /** A custom provider; absent: Codex's default OpenAI provider. */
  provider?: CodexProvider;
}

/** Item types that are tool calls, counted in the progress. */
const TOOL_ITEMS = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

/**
 * The per-run directories, under the run's scratch directory, that the runner creates before the
 * run and removes after it: `{HOME, TMPDIR, CODEX_HOME}` (absolute paths).
 */
export function codexScratchEnv(scratchDir: string): Record<string, string> {
  const base = scratchDir.replace(/\/+$/, '');
  return { HOME: `${base}/home`, TMPDIR: `${base}/tmp`, CODEX_HOME: `${base}/codex-home` };
}

/** The `-c` TOML value of a custom provider, named `local`. */
function providerToml(provider: CodexProvider): string {
  const fields = [
    `name="local"`,
    `base_url=${JSON.stringify(provider.baseUrl)}`,
    `wire_api="responses"`,
    `env_key=${JSON.stringify(provider.envKey)}`,
    `request_max_retries=${provider.requestMaxRetries ?? 0}`,
    `stream_max_retries=${provider.streamMaxRetries ?? 0}`,
  ];
  if (provider.streamIdleTimeoutMs !== undefined) fields.push(`stream_idle_timeout_ms=${provider.streamIdleTimeoutMs}`);
  return `model_providers.local={${fields.join(',')}}`;
}

/** The failure kind and whether a retry can help, from a Codex error message. */
export function classifyCodexError(message: string): { kind: string; retryable: boolean } {
  const status = /(?:unexpected status|last status:) (\d{3})/.exec(message);
  if (status) {
    const code = Number(status[1]);
    if (code === 429) return { kind: 'rate_limited', retryable: true };
    if (code === 401 || code === 403) return { kind: 'auth', retryable: false };
    return { kind: 'api_error', retryable: code >= 500 };
  }
  // A 429 whose body says `insufficient_quota`: another attempt cannot help.
  if (message.startsWith('Quota exceeded')) return { kind: 'rate_limited', retryable: false };
  // A 400 `invalid_request_error`: Codex passes the provider's JSON error body through as is.
  if (message.startsWith('{')) return { kind: 'api_error', retryable: false };
  // A 500 (Codex's InternalServerError text), an idle or dropped stream, a refused connection.
  if (/high demand|stream disconnected|Reconnecting|error sending request/i.test(message)) {
    return { kind: 'api_error', retryable: true };
  }
  return { kind: 'api_error', retryable: false };
}

/**
 * A failure message as people read it: the provider's JSON error body that Codex passes through
 * as is (`{"error":{"message":…,"type":…}}`) becomes `<type>: <message>`; anything else is kept.
 */
export function readableCodexError(message: string): string {
  const error = record(parseJsonLine(message)?.error);
  if (typeof error.message !== 'string') return message;
  return typeof error.type === 'string' ? `${error.type}: ${error.message}` : error.message;
}

/**
 * The Codex backend. The provider's base URL is a backend option (not an extra argument), so the
 * runner builds the `-c model_providers.local=…` value from the configuration.
 */
export function codexBackend(options: CodexBackendOptions = {}): CliBackend {
  return {
    type: 'codex',

    invocation(request: CliRequest): CliInvocation {
      const args = ['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '--disable', 'plugins', '-c', 'analytics.enabled=false'];
      if (options.provider) args.push('-c', 'model_provider=local', '-c', providerToml(options.provider));
      if (request.model) args.push('-m', request.model);
      args.push(...(request.extraArgs ?? []));
      if (request.resumeSessionId) args.push('resume', request.resumeSessionId);
      args.push('-');
      return { command: request.binary, args, env: { NO_COLOR: '1' }, stdin: request.prompt };
    },

    progress(progress: CliProgress, line: string): CliProgress {
      const event = parseEventLine(line);
      if (!event) return progress;
      const { type } = event;
      const item = record(event.item);
      const itemType = typeof item.type === 'string' ? item.type : null;
      const usage = record(event.usage);
      return {
        lastEventType: itemType ? `${type}:${itemType}` : type,
        toolCalls: progress.toolCalls + (type === 'item.completed' && itemType && TOOL_ITEMS.has(itemType) ? 1 : 0),
        tokens: progress.tokens + (type === 'turn.completed' ? num(usage.input_tokens) + num(usage.output_tokens) : 0),
      };
    },

    outcome(lines: string[], exitCode: number | null): CliOutcome {
      const usage = emptyUsage();
      const errors: string[] = [];
      const other: string[] = [];
      let summary: string | null = null;
      let ended: 'completed' | 'failed' | null = null;
      let turnError: string | null = null;
      for (const line of lines) {
        const event = parseEventLine(line);
        if (!event) {
          if (line.trim()) other.push(line.trim());
          continue;
        }
        const item = record(event.item);
        switch (event.type) {
          case 'thread.started':
            if (typeof event.thread_id === 'string') usage.sessionId = event.thread_id;
            break;
          case 'turn.started':
            usage.turns += 1;
            break;
          case 'item.completed':
            if (item.type === 'agent_message' && typeof item.text === 'string') summary = item.text;
            break;
          case 'error':
            if (typeof event.message === 'string') errors.push(event.message);
            break;
          case 'turn.completed': {
            const tokens = record(event.usage);
            usage.inputTokens += num(tokens.input_tokens);
            usage.cachedTokens += num(tokens.cached_input_tokens);
            usage.outputTokens += num(tokens.output_tokens);
            ended = 'completed';
            break;
          }
          case 'turn.failed': {
            const message = record(event.error).message;
            turnError = typeof message === 'string' ? message : (errors.at(-1) ?? 'turn.failed without a message');
            ended = 'failed';
            break;
          }
        }
      }
      const fail = (kind: string, retryable: boolean, error: string): CliOutcome => ({
        status: 'failed',
        retryable,
        kind,
        error: `codex: ${error}`,
        usage,
      });
      if (exitCode === null) {
        // Killed (idle timeout or cancellation): whatever it printed, the attempt may be tried again.
        return fail('process', true, `killed before the turn ended${errors.length ? ` (last error: ${errors.at(-1)})` : ''}`);
      }
      if (exitCode === 2 && usage.sessionId === null) {
        return fail('usage', false, `usage error (exit 2)${other.length ? `: ${other.join(' ')}` : ''}`);
      }
      if (ended === 'failed') {
        const message = turnError ?? 'turn failed';
        const { kind, retryable } = classifyCodexError(message);
        return fail(kind, retryable, readableCodexError(message));
      }
      if (ended === 'completed') {
        if (exitCode !== 0) return fail('process', true, `turn.completed but exit code ${exitCode}`);
        if (summary === null) return fail('protocol', false, 'turn.completed without an agent_message item');
        return { status: 'completed', summary, usage };
      }
      if (errors.length) {
        const { kind, retryable } = classifyCodexError(errors.at(-1)!);
        return fail(kind, retryable, `exit ${exitCode} without turn.failed: ${errors.at(-1)}`);
      }
      if (usage.sessionId === null && exitCode !== 0) {
        return fail('process', false, `exit ${exitCode} before thread.started${other.length ? `: ${other.join(' ')}` : ''}`);
      }
      return fail('protocol', false, `exit ${exitCode} without a turn.completed or turn.failed event`);
    },
  };
}
