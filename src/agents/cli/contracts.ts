/**
 * What every coding-agent CLI backend of issue 10 (Claude Code, Codex, Gemini CLI, Aider) provides,
 * so one runner can drive them all: the command line it builds, how it reads the CLI's output
 * stream into progress (heartbeat details) and into one outcome that does not trust the exit code,
 * and the usage it reports. Pure types: no Node, Prisma or Temporal imports.
 */

/** What the runner asks a CLI backend to build. */
export interface CliRequest {
  /** The executable (absolute path or a name on PATH). */
  binary: string;
  /** The whole prompt (built from the task type's prompt template). */
  prompt: string;
  /** The model, e.g. `claude-sonnet-4-5`; the CLI's default when absent. */
  model?: string;
  /** Most agent turns of one run, where the CLI takes a limit. */
  maxTurns?: number;
  /** Most USD one run may spend, where the CLI takes a limit (Claude Code `--max-budget-usd`). */
  budgetUsd?: number;
  /** Extra arguments from the configuration, appended as given. */
  extraArgs?: string[];
  /** A session to resume (a retry after a failure), where the CLI supports it. */
  resumeSessionId?: string;
}

/** The process the runner starts: argv only (never a shell string), extra environment, stdin. */
export interface CliInvocation {
  command: string;
  args: string[];
  /** Added to the allow-listed environment (e.g. flags that turn telemetry and update checks off). */
  env: Record<string, string>;
  /** Written to stdin, then closed; absent: stdin is /dev/null. */
  stdin?: string;
}

/** Tokens and money one run used. */
export interface CliUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's cache. */
  cachedTokens: number;
  /** USD, as the CLI reported it, or priced from the configuration's table; null when neither. */
  costUsd: number | null;
  costSource: 'reported' | 'priced' | null;
  turns: number;
  /** The CLI's session (thread) ID, for a resume. */
  sessionId: string | null;
}

/** Progress so far, from the events read: the activity's heartbeat details. */
export interface CliProgress {
  lastEventType: string | null;
  toolCalls: number;
  /** Input + output tokens reported so far. */
  tokens: number;
}

/** How a run ended, read from its output (exit code only as a last resort). */
export type CliOutcome =
  | { status: 'completed'; summary: string; usage: CliUsage }
  | {
      status: 'failed';
      /** Whether another attempt could help: 429 and 5xx yes; other 4xx, auth, usage errors, turn or budget limits no. */
      retryable: boolean;
      /** The CLI's own message, naming the CLI. */
      error: string;
      /** What the failure is: `api_error`, `rate_limited`, `auth`, `usage`, `max_turns`, `max_budget`, `protocol`, `process`. */
      kind: string;
      usage: CliUsage;
    };

/** One coding-agent CLI. */
export interface CliBackend {
  /** Backend type in the configuration: `claude-code`, `codex`, `gemini-cli` or `aider`. */
  type: string;
  invocation(request: CliRequest): CliInvocation;
  /** Folds one line of the CLI's output into `progress` (returns the new progress). */
  progress(progress: CliProgress, line: string): CliProgress;
  /**
   * The outcome of a finished run from all its output lines and its exit code (null when killed).
   * A result that breaks the CLI's expected format is a permanent `protocol` failure naming the CLI
   * and what was missing.
   */
  outcome(lines: string[], exitCode: number | null): CliOutcome;
}
