/**
 * A child Node process that reports ready and lives no longer than its parent: the parent forks an
 * entry point with an IPC channel (`child_process.fork`, so the exec arguments carry over, e.g.
 * the TypeScript loader); the child sends one `{ ready }` message with its details once it works,
 * and stops itself when the channel closes (the parent stopped it, or died) or on SIGTERM/SIGINT.
 * Used by the stack's agent queue worker (issue 8 §2–3) and the benchmark's processes.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** How long a child may take to send `ready`, ms (a stack bundles its workflows first). */
const READY_TIMEOUT_MS = 180_000;

/** How long a child may take to stop after its channel closed before SIGKILL, ms. */
const STOP_GRACE_MS = 20_000;

/** A running child process. */
export interface Child<Ready> {
  pid: number;
  /** What the child sent in its `ready` message. */
  ready: Ready;
  /** Closes the channel (the child stops itself), SIGKILL after {@link STOP_GRACE_MS}; resolves once it exited. */
  stop(): Promise<void>;
}

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Where the child's stdout and stderr go: an open file descriptor, or this process's own (default). */
  output?: number | 'inherit';
}

/** Resolves once `child` exits (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Forks `entry` (an absolute path) and waits for its `{ ready }` message.
 *
 * @throws Error when the child exits or sends nothing within {@link READY_TIMEOUT_MS} (it is killed then)
 */
export async function startChild<Ready>(entry: string, { env = {}, output = 'inherit' }: ChildOptions = {}): Promise<Child<Ready>> {
  const child = fork(entry, [], { env: { ...process.env, ...env }, stdio: ['ignore', output, output, 'ipc'] });
  const stop = async () => {
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(child);
    clearTimeout(timer);
  };
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} sent no ready message within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.once('message', (message: { ready?: Ready }) => {
        clearTimeout(timer);
        resolve(message.ready as Ready);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${signal ?? code}) before it was ready`));
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
 * For a child entry point: sends `{ ready }` to the parent (if it has one), and runs `stop` then
 * exits when the parent's channel closes or on SIGTERM/SIGINT.
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
