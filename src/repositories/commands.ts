/**
 * Runs a repository's command (its set-up or tests) in a working tree: argv only (never a shell
 * string), `node` as this process's Node.js, in its own process group that is killed as a whole
 * (SIGTERM, then SIGKILL after a grace period) at the command's `timeoutMs` or when the caller's
 * signal aborts; heartbeats while it runs; keeps the last 64 KiB of its output (stdout and stderr
 * interleaved as they arrive). Issue 9, "Repositories": commands run with a timeout, heartbeats and
 * captured output, never through a shell string built from user input.
 */
import { spawnProcessGroup } from '../platform/process-group';
import type { RepositoryCommand } from './contracts';

/** Most output kept of one command, bytes (64 KiB): the last part. */
export const MAX_COMMAND_OUTPUT_BYTES = 64 * 1024;

/** Default interval of a command's heartbeats, ms. */
const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;

/** What one run of a command gave (it ran, or could not start). */
export interface CommandRun {
  /** Exit status; null when a signal ended it or it never started. */
  exitCode: number | null;
  /** The signal that ended it (e.g. `SIGTERM` after a timeout), if one did. */
  signal: string | null;
  /** Whether it ran past its `timeoutMs` and was killed. */
  timedOut: boolean;
  /** stdout and stderr interleaved as they arrived, the last {@link MAX_COMMAND_OUTPUT_BYTES} bytes. */
  output: string;
  /** Wall time from spawn to the close of its output, ms. */
  durationMs: number;
  /** Why it could not start (spawn failure, e.g. `spawn nope ENOENT`), if so. */
  error?: string;
}

/** Heartbeat details of a running command: which step, its process (group) ID, and how long it has run, ms. */
export type CommandHeartbeat = (details: { step: string; pid: number; elapsedMs: number }) => void;

/** How {@link runRepositoryCommand} runs a command. */
export interface RepositoryCommandOptions {
  /** Working directory: the tree (must exist). */
  cwd: string;
  /** Aborting kills the process group; the run then rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Called every `heartbeatIntervalMs` while the command runs (e.g. Temporal's `Context.heartbeat`). */
  heartbeat?: CommandHeartbeat;
  /** Interval of `heartbeat`, ms (default 5 s). */
  heartbeatIntervalMs?: number;
  /** What the command is for, passed on in heartbeats (e.g. `setup`, `test`). */
  step: string;
  /** The whole environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Wait between SIGTERM and SIGKILL, ms (default 2 s). */
  killGraceMs?: number;
}

/** The command line for people, e.g. `npx jest --json "--outputFile=a b.json"` (it never runs through a shell). */
export function commandLine(command: Pick<RepositoryCommand, 'command' | 'args'>): string {
  return [command.command, ...command.args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(' ');
}

/**
 * Why `run` of `command` did not succeed, for people: `timed out after 2 s; killed`, `could not
 * start: spawn npm ENOENT`, `was killed by SIGKILL` or `exited with status 1`; undefined when it
 * exited 0 in time.
 */
export function commandFailure(command: Pick<RepositoryCommand, 'timeoutMs'>, run: CommandRun): string | undefined {
  if (run.timedOut) return `timed out after ${command.timeoutMs / 1000} s; killed`;
  if (run.error !== undefined) return `could not start: ${run.error}`;
  if (run.signal !== null) return `was killed by ${run.signal}`;
  if (run.exitCode !== 0) return `exited with status ${run.exitCode}`;
  return undefined;
}

/** The last `max` bytes of `chunks` as text, starting at a whole UTF-8 character. */
function tail(chunks: Buffer[], max: number): string {
  let bytes = Buffer.concat(chunks);
  if (bytes.length > max) {
    bytes = bytes.subarray(bytes.length - max);
    let start = 0;
    while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++; // UTF-8 continuation bytes
    bytes = bytes.subarray(start);
  }
  return bytes.toString('utf8');
}

/**
 * Runs `command` in `options.cwd` (stdin closed) until it exits, is killed at its `timeoutMs`, or
 * `options.signal` aborts.
 *
 * @returns the run: a non-zero exit, a timeout (`timedOut`, killed) and a spawn failure (`error`)
 *   are results, not errors
 * @throws `options.signal.reason` when the signal aborts (before or during the run; the process
 *   group is killed first)
 */
export function runRepositoryCommand(command: RepositoryCommand, options: RepositoryCommandOptions): Promise<CommandRun> {
  return new Promise<CommandRun>((resolve, reject) => {
    // Whatever the aborter passed (Temporal's cancellation passes a CancelledFailure).
    const abortReason = (): unknown => options.signal.reason;
    if (options.signal.aborted) return reject(abortReason());
    const { heartbeat, step } = options;
    const group = spawnProcessGroup(command.command, command.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal: options.signal,
      heartbeat: heartbeat && { send: (details) => heartbeat({ step, ...details }), intervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS },
      timeoutMs: command.timeoutMs,
      killGraceMs: options.killGraceMs,
    });
    const { child } = group;
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      // Drop whole chunks from the front while the rest still holds the last 64 KiB.
      while (chunks.length > 1 && kept - chunks[0]!.length >= MAX_COMMAND_OUTPUT_BYTES) kept -= chunks.shift()!.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => undefined); // a command that exits at once may close stdin first
    child.stdin.end();

    let spawnError: string | undefined;
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (code, signal) => {
      group.release();
      if (options.signal.aborted) return reject(abortReason());
      const run: CommandRun = {
        exitCode: spawnError === undefined ? code : null,
        signal,
        timedOut: group.timedOut,
        output: tail(chunks, MAX_COMMAND_OUTPUT_BYTES),
        durationMs: Date.now() - group.startedAt,
      };
      if (spawnError !== undefined) run.error = spawnError;
      resolve(run);
    });
  });
}
