/**
 * The Gemini CLI backend (`@google/gemini-cli` 0.61, type `gemini-cli`): the command line, the
 * settings file its HOME needs, and how its `stream-json` output becomes progress and an outcome.
 *
 * Invocation: `gemini -p <prompt> --output-format stream-json --yolo --skip-trust -m <model>`
 * (always with `-m`: without it the CLI makes a model-routing side call first), run in the ticket's
 * working tree with its own HOME and TMPDIR. The key and endpoint come from the allow-listed
 * environment: `GEMINI_API_KEY`, and `GOOGLE_GEMINI_BASE_URL` for another endpoint (the tests'
 * scripted server). The runner writes {@link geminiSettings} to `$HOME/.gemini/settings.json`
 * ({@link GEMINI_SETTINGS_PATH}) before the run: without `security.auth.selectedType` the CLI does
 * not know to use the key; the same file turns usage statistics, telemetry and update checks off,
 * carries the turn limit (`model.maxSessionTurns`: the CLI has no flag for it) and the CLI's own
 * retries of 429/5xx (`general.maxAttempts`, default 10 with 5–30 s backoff; 1 turns them off).
 *
 * Output (JSONL on stdout): `init{session_id, model}`, `message{role, content, delta?}`,
 * `tool_use{tool_name, tool_id, parameters}`, `tool_result{tool_id, status}`, `error`, then one
 * `result{status:"success"|"error", error?:{type, message}, stats:{input_tokens, output_tokens,
 * cached, tool_calls, duration_ms, models}}`. Exit codes: 0 success; an API failure exits with the
 * HTTP status modulo 256 (400→144, 429→173, 500→244; the `result` error's `type` is then
 * `"unknown"`, so the status comes from the message's JSON or the exit code); the CLI's fatal errors
 * exit 41 authentication (no key: nothing on stdout, the message on stderr), 42 bad input, 44 sandbox,
 * 52 configuration, 53 the turn limit, 54 a fatal tool error, 55 untrusted workspace, 130 cancelled
 * ({@link FATAL_EXITS}). On an API failure it also writes `gemini-client-error-*.json` (the error and
 * stack, not the key) into TMPDIR: the per-run TMPDIR keeps it out of the system temp directory, and
 * rolls the failed turn back out of the session it keeps: a session whose first turn failed holds
 * nothing to resume (`--resume` of it exits 42, "No previous sessions found for this project"), so
 * such an outcome reports no session (a killed run's session keeps its prompt and resumes). Even
 * `gemini --version` writes `$HOME/.gemini/projects.json`, and a run keeps its session under
 * `$HOME/.gemini/tmp/<project>/chats`: hence the per-run HOME. With the CLI's default settings it
 * sends usage statistics to play.googleapis.com (seen through the refusing proxy); the settings here
 * stop that. It reports tokens, no cost.
 *
 * The prompt is read like a typed one: a prompt starting with `/` is a slash command (`/quit` exits 42,
 * "not supported in non-interactive mode") and `@path` includes that file, so prompt templates must
 * not start with `/` and should not put `@` before a path they do not mean to attach. Pure module:
 * no Node imports.
 */
import type { CliBackend, CliInvocation, CliOutcome, CliProgress, CliRequest, CliUsage } from './contracts';
import { num, parseEventLine, record } from './output';

/** The model passed with `-m` when the request names none (the CLI's own default would need routing). */
export const GEMINI_DEFAULT_MODEL = 'gemini-2.5-pro';

/** Where the runner writes {@link geminiSettings}, relative to the run's HOME. */
export const GEMINI_SETTINGS_PATH = '.gemini/settings.json';

/** Options of the settings file beyond the request. */
export interface GeminiSettingsOptions {
  /**
   * Attempts per model call (`general.maxAttempts`, 1–10). 1 leaves 429/5xx retries to the
   * orchestrator (the failure comes back at once, classified retryable); absent: the CLI's default 10.
   */
  maxAttempts?: number;
}

/**
 * The content of `$HOME/.gemini/settings.json` for one run (a JSON-serializable object): API-key
 * auth, no usage statistics or telemetry, no auto-update or its notification, and the request's
 * `maxTurns` as `model.maxSessionTurns` (the run then ends with exit 53 when reached).
 */
export function geminiSettings(request: Pick<CliRequest, 'maxTurns'>, options: GeminiSettingsOptions = {}): Record<string, unknown> {
  return {
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: {
      enableAutoUpdate: false,
      enableAutoUpdateNotification: false,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    },
    ...(request.maxTurns !== undefined ? { model: { maxSessionTurns: request.maxTurns } } : {}),
  };
}

/** One parsed line of the stream (a JSON object with a `type`). */
type GeminiEvent = NonNullable<ReturnType<typeof parseEventLine>>;

/** HTTP statuses an API failure can exit with (status modulo 256), for mapping the exit code back. */
const API_EXIT_STATUS: Record<number, number> = Object.fromEntries(
  [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 501, 502, 503, 504].map((status) => [status % 256, status]),
);

/** The HTTP status of an API failure: from the message's `"code":NNN`, else from the exit code. */
function apiStatus(message: string, exitCode: number | null): number | null {
  const fromBody = /"code"\s*:\s*(\d{3})/.exec(message);
  if (fromBody) return Number(fromBody[1]);
  return exitCode !== null ? (API_EXIT_STATUS[exitCode] ?? null) : null;
}

/** Folds the stream into usage: tokens from `result.stats`, turns as model responses, the session from `init`. */
function usageOf(events: GeminiEvent[]): CliUsage {
  let sessionId: string | null = null;
  let turns = 0;
  let inTurn = false;
  let stats: Record<string, unknown> = {};
  for (const event of events) {
    if (event.type === 'init' && typeof event.session_id === 'string') sessionId = event.session_id;
    const fromModel = event.type === 'tool_use' || (event.type === 'message' && event.role === 'assistant');
    if (fromModel && !inTurn) turns += 1;
    if (fromModel) inTurn = true;
    if (event.type === 'tool_result' || (event.type === 'message' && event.role === 'user')) inTurn = false;
    if (event.type === 'result') stats = record(event.stats);
  }
  return {
    inputTokens: num(stats.input_tokens),
    outputTokens: num(stats.output_tokens),
    cachedTokens: num(stats.cached),
    costUsd: null,
    costSource: null,
    turns,
    sessionId,
  };
}

/** The CLI's fatal errors: exit code → the error class it reports as `result.error.type`, and how the orchestrator treats it. */
const FATAL_EXITS: Record<number, { type: string; kind: string; retryable: boolean; what: string }> = {
  41: { type: 'FatalAuthenticationError', kind: 'auth', retryable: false, what: 'authentication failed' },
  42: { type: 'FatalInputError', kind: 'usage', retryable: false, what: 'bad input' },
  44: { type: 'FatalSandboxError', kind: 'usage', retryable: false, what: 'sandbox error' },
  52: { type: 'FatalConfigError', kind: 'usage', retryable: false, what: 'configuration error' },
  53: { type: 'FatalTurnLimitedError', kind: 'max_turns', retryable: false, what: 'turn limit reached' },
  // A fatal tool error (e.g. no space left on the device): another attempt minutes later would meet the same.
  54: { type: 'FatalToolExecutionError', kind: 'process', retryable: false, what: 'fatal tool error' },
  55: { type: 'FatalUntrustedWorkspaceError', kind: 'usage', retryable: false, what: 'untrusted workspace' },
  130: { type: 'FatalCancellationError', kind: 'process', retryable: true, what: 'cancelled' },
};

/** The fatal error named by the result's error type, else by the exit code. */
function fatalOf(type: string | null, exitCode: number | null): { kind: string; retryable: boolean; what: string } | null {
  return Object.values(FATAL_EXITS).find((fatal) => fatal.type === type) ?? (exitCode !== null ? FATAL_EXITS[exitCode] : undefined) ?? null;
}

/** A failure without a `result` event: classified by the exit code, with the non-JSON lines (stderr, when given) as the message. */
function failureWithoutResult(lines: string[], exitCode: number | null, usage: CliUsage): CliOutcome {
  const text = lines
    .filter((line) => line.trim() && !parseEventLine(line))
    .join('\n')
    .trim();
  const say = (what: string): string => `gemini-cli: ${what}${text ? `: ${text}` : ''}`;
  if (exitCode === null) return { status: 'failed', retryable: true, kind: 'process', error: say('killed before a result event'), usage };
  const fatal = fatalOf(null, exitCode);
  if (fatal) return { status: 'failed', retryable: fatal.retryable, kind: fatal.kind, error: say(`${fatal.what} (exit ${exitCode})`), usage };
  const status = API_EXIT_STATUS[exitCode];
  if (status !== undefined) return apiFailure(say(`API error HTTP ${status} (exit ${exitCode})`), status, usage);
  if (exitCode === 0) return { status: 'failed', retryable: false, kind: 'protocol', error: say('exit 0 without a result event'), usage };
  return { status: 'failed', retryable: true, kind: 'process', error: say(`exit ${exitCode} without a result event`), usage };
}

/** 429 → `rate_limited`, 5xx → `api_error`, both retryable; other statuses permanent `api_error`. */
function apiFailure(error: string, status: number, usage: CliUsage): CliOutcome {
  if (status === 429) return { status: 'failed', retryable: true, kind: 'rate_limited', error, usage };
  return { status: 'failed', retryable: status >= 500, kind: 'api_error', error, usage };
}

/** The Gemini CLI backend; see the module comment for the command line, the output and the exit codes. */
export const geminiCliBackend: CliBackend = {
  type: 'gemini-cli',

  /**
   * `gemini -p <prompt> --output-format stream-json --yolo --skip-trust -m <model> [--resume <session>] [extraArgs…]`,
   * stdin /dev/null. A resume only finds the session when the run's HOME is the one of the first run
   * (sessions are kept under `$HOME/.gemini/tmp/<project>/chats`). Env turns off the telemetry
   * and keeps the CLI from relaunching itself in a child process.
   */
  invocation(request: CliRequest): CliInvocation {
    const args = ['-p', request.prompt, '--output-format', 'stream-json', '--yolo', '--skip-trust', '-m', request.model ?? GEMINI_DEFAULT_MODEL];
    if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
    args.push(...(request.extraArgs ?? []));
    return { command: request.binary, args, env: { GEMINI_TELEMETRY_ENABLED: 'false', GEMINI_CLI_NO_RELAUNCH: 'true', NO_COLOR: '1' } };
  },

  /** Any event moves `lastEventType`; `tool_use` counts a tool call; `result.stats` gives the tokens (the stream reports none before). */
  progress(progress: CliProgress, line: string): CliProgress {
    const event = parseEventLine(line);
    if (!event) return progress;
    const stats = event.type === 'result' ? record(event.stats) : null;
    return {
      lastEventType: event.type,
      toolCalls: progress.toolCalls + (event.type === 'tool_use' ? 1 : 0),
      tokens: stats ? num(stats.input_tokens) + num(stats.output_tokens) : progress.tokens,
    };
  },

  /**
   * `result{status:"success"}` → completed (the summary is the assistant's text); `result{status:"error"}`
   * (no session ID when no model turn came before the error: nothing to resume)
   * → classified by the fatal error type or exit code ({@link FATAL_EXITS}), else by the HTTP status
   * (message JSON or exit code: 429 and 5xx retryable), else retryable (an unreachable endpoint); no
   * `result` → by the exit code the same way (null, killed: retryable `process`), with the non-JSON
   * lines as the message. A success result with a non-zero exit, exit 0 without a result, or a result
   * of another status is a permanent `protocol` failure.
   */
  outcome(lines: string[], exitCode: number | null): CliOutcome {
    const events = lines.map(parseEventLine).filter((event): event is GeminiEvent => event !== null);
    const usage = usageOf(events);
    const result = [...events].reverse().find((event) => event.type === 'result');
    if (!result) return failureWithoutResult(lines, exitCode, usage);
    if (result.status === 'success') {
      if (exitCode !== 0 && exitCode !== null) {
        return { status: 'failed', retryable: false, kind: 'protocol', error: `gemini-cli: result "success" but exit ${exitCode}`, usage };
      }
      const summary = events
        .filter((event) => event.type === 'message' && event.role === 'assistant' && typeof event.content === 'string')
        .map((event) => event.content as string)
        .join('');
      return { status: 'completed', summary, usage };
    }
    if (result.status !== 'error') {
      return {
        status: 'failed',
        retryable: false,
        kind: 'protocol',
        error: `gemini-cli: result event without a known status (${JSON.stringify(result.status)})`,
        usage,
      };
    }
    // The CLI rolls the failed turn out of its session file: with no model turn of this run before it,
    // nothing may be left to resume (`--resume` of it exits 42, "No previous sessions found for this
    // project"). A resumed session's earlier turns are not in this output: such a session is given up too.
    if (usage.turns === 0) usage.sessionId = null;
    const error = record(result.error);
    const type = typeof error.type === 'string' ? error.type : null;
    const message = `gemini-cli: ${typeof error.message === 'string' ? error.message : `error ${type ?? 'without a message'}`}`;
    const fatal = fatalOf(type, exitCode);
    if (fatal) return { status: 'failed', retryable: fatal.retryable, kind: fatal.kind, error: message, usage };
    const status = apiStatus(message, exitCode);
    if (status !== null) return apiFailure(message, status, usage);
    // No status: e.g. the endpoint unreachable ("[API Error: exception TypeError: fetch failed sending request]", exit 1).
    const kind = message.includes('[API Error:') ? 'api_error' : 'process';
    return { status: 'failed', retryable: true, kind, error: message, usage };
  },
};
