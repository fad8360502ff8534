/**
 * The generic runner of the coding-agent CLIs (issue 10, "Backends"): one run of a `claude-code`,
 * `codex`, `gemini-cli` or `aider` entry in a ticket's working tree, whatever the CLI.
 *
 * It gives the run its own HOME (`<scratch>/home`, kept across the task's attempts so a retry can
 * resume the CLI's session) and TMPDIR (`<scratch>/tmp-<attempt>`, fresh, removed afterwards), an
 * environment of nothing but the allow-list (src/agents/cli/environment.ts), the files its backend
 * needs (src/agents/cli/backends.ts); spawns it as its own process group (argv only); folds every
 * stdout line into progress, which is heartbeated, as is every `heartbeatIntervalMs`; kills the
 * group when it writes nothing for the entry's `idleTimeoutMs` (a hung headless CLI,
 * anthropics/claude-code#53584); and reads the outcome from the CLI's output, never trusting the
 * exit code alone. Every message, summary and log line that leaves it has the secret values redacted.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../../repositories/git';
import { spawnProcessGroup, type ProcessGroup } from '../../platform/process-group';
import { RESUMABLE_CLIS, cliBackendFor, resolveBinary, type CliSetup } from './backends';
import type { CliBackendConfig } from './config';
import type { CliOutcome, CliProgress } from './contracts';
import { cliEnvironment, redactor } from './environment';
import { emptyUsage } from './output';

/** The checkout the CLIs are installed in (`node_modules/.bin`, `.tools/aider-venv/bin`). */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

/** How one CLI run is set up, observed and stopped. */
export interface CliRunOptions {
  /** The working tree the CLI runs in. */
  cwd: string;
  /**
   * The task's scratch directory (outside the tree): HOME is `<scratch>/home`, kept across the task's
   * attempts so a retry can resume; TMPDIR is `<scratch>/tmp-<attempt>`, created fresh and removed
   * after the run.
   */
  scratchDir: string;
  /** The attempt number (names the TMPDIR). */
  attempt: number;
  /** The whole prompt. */
  prompt: string;
  /** The session of an earlier attempt to resume; ignored for a CLI that cannot ({@link RESUMABLE_CLIS}). */
  resumeSessionId?: string;
  /** The configuration file's directory (relative binary paths). */
  baseDir: string;
  /** Where the orchestrator's environment comes from (only PATH, LANG, LC_ALL, TZ and `passEnv` are read). */
  source: NodeJS.ProcessEnv;
  /** The secrets file's values (`passEnv` names missing from `source`); all of them are redacted. */
  secrets: Record<string, string>;
  /** Aborting kills the process group; the run then rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Called on every stdout line and every `heartbeatIntervalMs`: the activity heartbeats it. */
  onProgress: (details: CliHeartbeat) => void;
  /** ms between heartbeats while the CLI is quiet. */
  heartbeatIntervalMs: number;
  /** Called with the process (and group) ID once the CLI started. */
  onSpawn?: (pid: number) => void;
  /** Receives the CLI's stderr lines and the runner's notices (redacted). */
  log: (line: string) => void;
  /** Wait between SIGTERM and SIGKILL of a stopped group, ms (default the process group's, 2 s). */
  killGraceMs?: number;
}

/** Heartbeat details: the progress so far, the process ID and how long it has run, ms. */
export interface CliHeartbeat extends CliProgress {
  pid: number;
  elapsedMs: number;
}

/** What one run gave. */
export interface CliRun {
  outcome: CliOutcome;
  startedAt: Date;
  finishedAt: Date;
  /** The model the CLI was asked for (Gemini CLI's default filled in), or null for the CLI's own default: what its tokens are priced as. */
  model: string | null;
}

const START: CliProgress = { lastEventType: null, toolCalls: 0, tokens: 0 };

/** Splits a stream into lines, calling `onLine` for each complete one; `flush()` gives the unterminated rest. */
function lineReader(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/**
 * Removes Aider's repository-map cache (`.aider.tags.cache.v4/`, which Aider writes at the tree's
 * root and cannot be told to put elsewhere) from `cwd` when it is untracked, so the orchestrator's
 * `git add --all` never commits it. An `info/exclude` line cannot keep it out: the clone's
 * `info/exclude` is shared by its trees and rewritten by the workspaces on every use of the clone,
 * the task's commit included (src/repositories/workspaces.ts). Aider's other files are not written
 * (its histories go to /dev/null). Never throws: a failure is logged.
 */
async function removeAiderFiles(cwd: string, log: (line: string) => void): Promise<void> {
  try {
    const untracked = await git(cwd, ['ls-files', '-z', '--others', '--directory', '--', ':(glob).aider.tags.cache.v*/']);
    for (const entry of untracked.split('\0').filter(Boolean)) await rm(path.join(cwd, entry), { recursive: true, force: true });
  } catch (error) {
    log(`cannot remove aider's files from ${cwd}: ${(error as Error).message}`);
  }
}

/**
 * The outcome of a CLI that could not be started: a command line too long (E2BIG: Gemini CLI and
 * Aider take the prompt as one argument, limited to 128 KiB) is a permanent `usage` failure; a
 * missing or non-executable binary (ENOENT, EACCES) a permanent `unavailable` one; anything else a
 * retryable `unavailable` one. Each names the binary.
 */
function spawnFailure(type: string, binary: string, error: NodeJS.ErrnoException): CliOutcome {
  const usage = emptyUsage();
  if (error.code === 'E2BIG') {
    return {
      status: 'failed',
      retryable: false,
      kind: 'usage',
      error: `${type}: cannot run ${binary}: its command line is too long (E2BIG; one argument may hold 128 KiB)`,
      usage,
    };
  }
  const permanent = error.code === 'ENOENT' || error.code === 'EACCES';
  return { status: 'failed', retryable: !permanent, kind: 'unavailable', error: `${type}: cannot run ${binary}: ${error.message}`, usage };
}

/** The process's end: its exit code (null when killed by a signal), or why it could not start. */
type Ended = { exitCode: number | null } | { spawnError: NodeJS.ErrnoException };

/**
 * Runs the CLI of `config` once, as described in the module comment.
 *
 * Outcomes beyond the backend's own: no output line (stdout or stderr) for `config.idleTimeoutMs` →
 * the group is killed and the run fails `{kind: 'idle_timeout', retryable: true}` with whatever
 * usage its lines gave; an executable that cannot be started → `unavailable` naming it
 * (permanent for ENOENT and EACCES), a command line too long for the system (E2BIG) → permanent
 * `usage`; a failure to prepare the run (its directories or files) → retryable
 * `process`. The backend reads stdout and stderr lines together, in arrival order (a CLI's
 * refusal to start is on stderr). TMPDIR (and Aider's repository-map cache in the tree) is removed and the backend's clean-up run whatever happens;
 * HOME is kept (the caller removes the scratch directory when the task ends).
 *
 * @throws only `options.signal.reason`, when the signal aborts (before the start, or during the run,
 *   after the group was killed and the run's directories cleaned up)
 */
export async function runCliAgent(config: CliBackendConfig, options: CliRunOptions): Promise<CliRun> {
  const { signal } = options;
  if (signal.aborted) throw signal.reason;
  const startedAt = new Date();
  const redact = redactor([...config.passEnv.map((name) => options.source[name] ?? options.secrets[name] ?? ''), ...Object.values(options.secrets)]);
  const log = (line: string) => options.log(redact(line));
  const dirs = { home: path.join(options.scratchDir, 'home'), tmp: path.join(options.scratchDir, `tmp-${options.attempt}`) };
  const finish = (outcome: CliOutcome, model: string | undefined): CliRun => ({
    outcome: outcome.status === 'completed' ? { ...outcome, summary: redact(outcome.summary) } : { ...outcome, error: redact(outcome.error) },
    startedAt,
    finishedAt: new Date(),
    model: model ?? null,
  });

  let setup: CliSetup | undefined;
  try {
    await rm(dirs.tmp, { recursive: true, force: true });
    await mkdir(dirs.home, { recursive: true });
    await mkdir(dirs.tmp, { recursive: true });
    setup = cliBackendFor(config, dirs, cliEnvironment(config, options.source, options.secrets));
    for (const [file, content] of Object.entries(setup.files)) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content, { mode: 0o600 });
    }
  } catch (error) {
    await rm(dirs.tmp, { recursive: true, force: true }).catch(() => undefined);
    await setup?.cleanup();
    const failure = `${config.type}: cannot prepare the run in ${options.scratchDir}: ${(error as Error).message}`;
    return finish({ status: 'failed', retryable: true, kind: 'process', error: failure, usage: emptyUsage() }, config.model);
  }
  const removeRunFiles = async () => {
    await rm(dirs.tmp, { recursive: true, force: true }).catch((error: Error) => log(`cannot remove ${dirs.tmp}: ${error.message}`));
    if (config.type === 'aider') await removeAiderFiles(options.cwd, log);
    await setup.cleanup();
  };
  if (signal.aborted) {
    await removeRunFiles();
    throw signal.reason;
  }
  const { backend, env } = setup;
  const binary = resolveBinary(config, options.baseDir, PROJECT_ROOT);
  const invocation = backend.invocation({
    binary,
    prompt: options.prompt,
    model: setup.model,
    maxTurns: config.maxTurns,
    budgetUsd: config.maxBudgetUsd,
    extraArgs: config.args,
    resumeSessionId: RESUMABLE_CLIS.has(config.type) ? options.resumeSessionId : undefined,
  });

  let progress = START;
  const lines: string[] = [];
  let idleKilled = false;
  let group: ProcessGroup;
  try {
    group = spawnProcessGroup(invocation.command, invocation.args, {
      cwd: options.cwd,
      // The backend's variables first: the entry's `env` may override them, the run's directories win.
      env: { ...invocation.env, ...env },
      signal,
      heartbeat: { send: (details) => options.onProgress({ ...progress, ...details }), intervalMs: options.heartbeatIntervalMs },
      killGraceMs: options.killGraceMs,
    });
  } catch (error) {
    // Some spawn failures throw at once rather than emit `error` (E2BIG: an argument over 128 KiB).
    await removeRunFiles();
    return finish(spawnFailure(config.type, binary, error as NodeJS.ErrnoException), setup.model);
  }
  const { child } = group;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      idleKilled = true;
      log(`${config.type} wrote nothing for ${config.idleTimeoutMs} ms: killing process group ${child.pid}`);
      group.stop();
    }, config.idleTimeoutMs);
  };
  const stdout = lineReader((line) => {
    armIdle();
    lines.push(line);
    progress = backend.progress(progress, line);
    options.onProgress({ ...progress, pid: child.pid ?? 0, elapsedMs: Date.now() - group.startedAt });
  });
  const stderr = lineReader((line) => {
    armIdle();
    lines.push(line);
    if (line.trim() !== '') log(`${config.type}: ${line}`);
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  // A CLI that exits without reading stdin makes the write fail with EPIPE; its output tells the story.
  child.stdin.on('error', () => undefined);
  child.stdin.end(invocation.stdin);

  const ended = await new Promise<Ended>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ spawnError: error });
    });
    child.once('spawn', () => {
      armIdle();
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    child.once('close', (code) => resolve({ exitCode: code }));
  });
  // Unterminated last lines first: reading a line re-arms the idle timer, cleared after them.
  stdout.flush();
  stderr.flush();
  clearTimeout(idle);
  group.release();
  await removeRunFiles();
  if (signal.aborted) throw signal.reason;
  if ('spawnError' in ended) return finish(spawnFailure(config.type, binary, ended.spawnError), setup.model);
  // A run the runner stopped is read as killed (exit code null), whatever the CLI exited with.
  const outcome = backend.outcome(lines, idleKilled ? null : ended.exitCode);
  if (idleKilled) {
    const error = `${config.type} wrote nothing for ${config.idleTimeoutMs} ms; killed`;
    return finish({ status: 'failed', retryable: true, kind: 'idle_timeout', error, usage: outcome.usage }, setup.model);
  }
  return finish(outcome, setup.model);
}
