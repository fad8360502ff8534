/**
 * The stand-alone worker (src/entrypoints/worker.ts) as a separate OS process, run through tsx, in
 * its own process group so a test can kill it (and tsx's child) at once, as a crash would.
 * Every process started here is remembered, so {@link killAllWorkerProcesses} can end them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isAlive, killQuietly, poll } from './poll';

const ROOT = path.resolve(__dirname, '..', '..');
/** tsx's command line (the package's `bin`), run with this Node.js. */
export const TSX_CLI = require.resolve('tsx/cli', { paths: [ROOT] });
const WORKER_ENTRY = path.join(ROOT, 'src', 'entrypoints', 'worker.ts');

/** A running (or ended) worker process. */
export interface WorkerProcess {
  /** The process group leader's pid (tsx), also the group's id. */
  pid: number;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code or signal once it has exited. */
  exited: Promise<string>;
  /** Sends `signal` to the whole process group. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL after `graceMs` if it is still there; resolves once it exited. */
  stop(graceMs?: number): Promise<string>;
}

const started: WorkerProcess[] = [];

/**
 * The environment of a worker process on `database` and `env`'s dev server, polling `taskQueue`, with
 * `config` (ORCHESTRATOR_CONFIG), `workspacesDir` and `repositoryCacheDir`, fast task retries (200 ms) and warn logs.
 */
export function workerEnv({
  database,
  env,
  taskQueue,
  config,
  workspacesDir,
  repositoryCacheDir,
}: {
  database: string;
  env: TestWorkflowEnvironment;
  taskQueue: string;
  config: string;
  workspacesDir: string;
  repositoryCacheDir: string;
}): Record<string, string> {
  return {
    DATABASE_URL: database,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    ORCHESTRATOR_CONFIG: config,
    WORKSPACES_DIR: workspacesDir,
    REPOSITORY_CACHE_DIR: repositoryCacheDir,
    TASK_RETRY_INITIAL_MS: '200',
    LOG_LEVEL: 'warn',
  };
}

/** Starts `node tsx/cli src/entrypoints/worker.ts` with `env` on top of this process's environment. */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [TSX_CLI, WORKER_ENTRY], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  const chunks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const pid = child.pid;
  const worker: WorkerProcess = {
    pid,
    child,
    output: () => chunks.join(''),
    exited,
    kill: (signal) => killQuietly(pid, signal, true),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      worker.kill('SIGTERM');
      const timer = setTimeout(() => worker.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  started.push(worker);
  return worker;
}

/** Pids of the processes of group `pgid` still alive (from /proc). */
export function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
}

/** Kills every worker process group started here and waits until each has exited (safety net for afterAll). */
export async function killAllWorkerProcesses(): Promise<void> {
  for (const worker of started.splice(0)) {
    worker.kill('SIGKILL');
    await worker.exited;
    await poll(
      () => groupMembers(worker.pid),
      (pids) => pids.filter(isAlive).length === 0,
      `process group ${worker.pid} to be gone`,
      10_000,
      50,
    );
  }
}
