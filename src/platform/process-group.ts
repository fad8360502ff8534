/**
 * A command run as its own process group, observed and stopped as a whole: the process is spawned
 * from an argv array (never a shell string) with `detached: true`, so it leads a new process group
 * and a kill reaches everything it started (test runners' workers, a hanging grandchild). While it
 * runs it heartbeats; when the caller's signal aborts or its time limit passes, the whole group
 * gets SIGTERM, then SIGKILL after a grace period.
 * Shared by the command agent backend (seed 004, milestone 1.4: kill on timeout or cancellation)
 * and the repository commands (issue 9: commands run with a timeout, heartbeats and captured output).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** Default wait between SIGTERM and SIGKILL of a stopped process group, ms. */
export const DEFAULT_KILL_GRACE_MS = 2000;

/** `node` runs with this process's Node.js, so commands do not depend on PATH; anything else is looked up on PATH. */
export const resolveExecutable = (command: string): string => (command === 'node' ? process.execPath : command);

/**
 * Sends `signal` to every process of group `pgid`.
 *
 * @returns false when there is no such group (every member exited) or it is not ours to signal
 */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: gone; EPERM: not ours
  }
}

/** How a process group is spawned, observed and stopped. */
export interface ProcessGroupOptions {
  cwd: string;
  /** The whole environment of the process. */
  env: NodeJS.ProcessEnv;
  /** Aborting stops the group (SIGTERM, then SIGKILL). */
  signal: AbortSignal;
  /** `send` is called every `intervalMs` while the process runs, with its process (and group) ID and how long it has run, ms. */
  heartbeat?: { send: (details: { pid: number; elapsedMs: number }) => void; intervalMs: number };
  /** Longest run, ms: past it the group is stopped and {@link ProcessGroup.timedOut} is true. None if unset. */
  timeoutMs?: number;
  /** Wait between SIGTERM and SIGKILL, ms (default {@link DEFAULT_KILL_GRACE_MS}, 2 s). */
  killGraceMs?: number;
}

/** A spawned process group. Its owner listens to `child` and calls `release()` once the child closed or failed to spawn. */
export interface ProcessGroup {
  /** The group's leader, with piped stdin, stdout and stderr. `pid` is undefined when spawning failed (see its `error` event). */
  child: ChildProcessWithoutNullStreams;
  /** `Date.now()` at spawn. */
  startedAt: number;
  /** Whether the group was stopped because `timeoutMs` passed. */
  readonly timedOut: boolean;
  /** Stops the group now: SIGTERM, then SIGKILL after the grace period (once; later calls do nothing). */
  stop(): void;
  /**
   * Stops heartbeats and timers and forgets the abort signal; if the group was being stopped, it
   * gets SIGKILL now, so nothing that detached from the leader's output survives it.
   */
  release(): void;
}

/**
 * Spawns `command args` (argv, no shell) in its own process group and supervises it as described
 * in `options`. Spawn failures (ENOENT, EACCES) arrive as the child's `error` event.
 * The caller checks `options.signal.aborted` before calling, if it must not start at all.
 */
export function spawnProcessGroup(command: string, args: readonly string[], options: ProcessGroupOptions): ProcessGroup {
  const startedAt = Date.now();
  const child = spawn(resolveExecutable(command), args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let timedOut = false;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    // The group outlives its leader while a child of it (e.g. a hanging grandchild) still runs.
    if (!signalProcessGroup(child.pid, signal) && child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const stop = () => {
    if (stopping) return;
    stopping = true;
    signalGroup('SIGTERM');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  options.signal.addEventListener('abort', stop, { once: true });
  const deadline =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs);
  const { heartbeat } = options;
  const beat = heartbeat && setInterval(() => heartbeat.send({ pid: child.pid ?? 0, elapsedMs: Date.now() - startedAt }), heartbeat.intervalMs);

  return {
    child,
    startedAt,
    get timedOut() {
      return timedOut;
    },
    stop,
    release() {
      clearInterval(beat);
      clearTimeout(deadline);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', stop);
      if (stopping) signalGroup('SIGKILL');
    },
  };
}
