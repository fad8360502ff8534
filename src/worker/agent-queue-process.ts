/**
 * Starts src/entrypoints/agent-queue-worker.ts as a child of the stack (`child_process.fork`: an IPC
 * channel, and this process's exec arguments, so the TypeScript loader it runs under carries over)
 * and stops it with the stack. Issue 8 §2–3: agent spawns leave the API and the workflows alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Logger } from '../platform/logger';

/** How long the child may take to report ready, ms (it connects to Temporal and PostgreSQL). */
const READY_TIMEOUT_MS = 60_000;

/** How long a graceful stop may take before the child is killed, ms (running agents are cancelled first). */
const STOP_GRACE_MS = 15_000;

const ENTRY = path.resolve(__dirname, '..', 'entrypoints', 'agent-queue-worker.ts');

/** A running agent queue worker process. */
export interface AgentQueueProcess {
  pid: number;
  /** Closes its IPC channel (it shuts its worker down) and waits for it to exit; kills it after {@link STOP_GRACE_MS}. */
  stop(): Promise<void>;
}

/**
 * Forks the agent queue worker with `env` added to this process's environment and waits for its
 * `{ ready: true }` message. Its output goes to this process's stdout and stderr.
 *
 * @throws Error when it exits or stays silent for {@link READY_TIMEOUT_MS} (it is killed then)
 */
export async function startAgentQueueProcess(env: Record<string, string>, log: Logger): Promise<AgentQueueProcess> {
  const child: ChildProcess = fork(ENTRY, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the agent queue worker sent no ready message within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the agent queue worker exited (${signal ?? code}) before it was ready`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  log.info({ pid: child.pid }, 'agent queue worker process started');
  return { pid: child.pid!, stop };
}
