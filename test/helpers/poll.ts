/** Waiting with deadlines (never a fixed sleep as an assertion) and process liveness. */
import { readFileSync } from 'node:fs';

/**
 * Calls `read` every `intervalMs` until `done(value)`, and returns that value.
 *
 * @param what what is awaited, for the error (a function: evaluated only then, e.g. to add a process's output)
 * @throws Error naming `what` and the last value read when `timeoutMs` passes first
 */
export async function poll<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  what: string | (() => string),
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}; last: ${JSON.stringify(value)?.slice(0, 2000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Calls `probe` until it returns something other than undefined, null or false, and returns that.
 *
 * @throws Error naming `what` when `timeoutMs` passes first
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const value = await poll(probe, (found) => found !== undefined && found !== null && found !== false, what, timeoutMs);
  return value as T;
}

/** Waits `ms` (to let time pass — a fault's duration — never to assert on). */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether process `pid` is alive. A zombie (exited, not yet reaped: an orphan whose new parent does
 * not reap it) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sends `signal` to `pid` (or to the process group when `group`), ignoring a process already gone. */
export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL', group = false): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
