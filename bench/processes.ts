/**
 * Child processes of the benchmark: the project's stack and the bare worker each run in a process
 * of their own (so their memory can be read apart), started with `node --import tsx` (one process,
 * no tsx wrapper) and an IPC channel: the child sends one `ready` message with its details, and
 * stops when the channel closes, so it never outlives the benchmark. Also reads process memory
 * from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** How long a child may take to send `ready`, ms (the project stack bundles its workflows first). */
const READY_TIMEOUT_MS = 180_000;
/** How long a child may take to stop after its channel closed before SIGKILL, ms. */
const STOP_GRACE_MS = 20_000;

/** A running child process. */
export interface BenchChild<Ready> {
  pid: number;
  /** What the child sent in its `ready` message. */
  ready: Ready;
  /** Closes the channel (the child stops itself), SIGKILL after 20 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Resolves once `child` exits (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `entry` (a .ts file, relative to the repository) with `env` added to this process's
 * environment, stdout and stderr appended to `logFile`, and waits for its `{ ready }` message.
 *
 * @throws Error when the child exits or sends nothing within 180 s (see `logFile`).
 */
export async function startChild<Ready>(entry: string, env: Record<string, string>, logFile: string): Promise<BenchChild<Ready>> {
  const output = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', output, output, 'ipc'],
  });
  const stop = async () => {
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(child);
    clearTimeout(timer);
  };
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} sent no ready message within ${READY_TIMEOUT_MS} ms; see ${logFile}`)), READY_TIMEOUT_MS);
      child.once('message', (message: { ready?: Ready }) => {
        clearTimeout(timer);
        resolve(message.ready as Ready);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${signal ?? code}) before it was ready; see ${logFile}`));
      });
    });
    return { pid: child.pid!, ready, stop };
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  }
}

/**
 * For a child entry point: sends `{ ready }` to the parent, and runs `stop` then exits when the
 * parent's channel closes (the parent stopped it, or died) or on SIGTERM/SIGINT.
 */
export function reportReadyAndStopWithParent<Ready>(ready: Ready, stop: () => Promise<void>): void {
  let stopping = false;
  const finish = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('disconnect', finish);
  process.once('SIGTERM', finish);
  process.once('SIGINT', finish);
  process.send?.({ ready });
}

/** Resident set size of process `pid` (`VmRSS` of /proc/<pid>/status), in MiB; undefined if unreadable. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** PIDs of the live children of `parent` whose command name (/proc/<pid>/comm) is `comm`. */
export function childrenNamed(parent: number, comm: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === parent && name === comm) found.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}
