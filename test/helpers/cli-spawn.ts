/**
 * Spawning a real coding-agent CLI in the backends' end-to-end tests (issue 10, "Tests: the real
 * CLIs, a scripted model") the way the runner does, without the runner.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CliBackend, CliInvocation, CliProgress } from '../../src/agents/cli/contracts';
import type { RefusingProxy } from '../fixtures/model-servers/refusing-proxy';

/**
 * Spawns `invocation` in `cwd` in its own process group (detached: `process.kill(-child.pid)`
 * stops the CLI and everything it started), with only PATH, `env` (HOME, TMPDIR, the API key and
 * endpoint, …), the refusing proxy's variables and the invocation's own env. The invocation's stdin
 * is written, then closed; without one stdin is /dev/null. stdout and stderr are pipes.
 */
export function spawnInvocation(
  invocation: CliInvocation,
  { cwd, env, proxy }: { cwd: string; env: Record<string, string>; proxy: RefusingProxy },
): ChildProcessByStdio<Writable | null, Readable, Readable> {
  const child = spawn(invocation.command, invocation.args, {
    cwd,
    detached: true,
    stdio: [invocation.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...proxy.env(), ...invocation.env },
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  if (invocation.stdin !== undefined) child.stdin?.end(invocation.stdin);
  return child;
}

/** What a CLI run of {@link runInvocation} left. */
export interface InvocationRun {
  /** Its stdout, line by line (an unterminated last line included). */
  lines: string[];
  stderr: string;
  /** null: killed (by the idle timeout or a signal). */
  exitCode: number | null;
  /** The backend's progress folded over the stdout lines. */
  progress: CliProgress;
  /** Whether the idle timeout killed the process group. */
  killedIdle: boolean;
  /** From spawn to exit, ms. */
  ms: number;
}

/**
 * Runs `invocation` (see {@link spawnInvocation}) to its exit, folding each stdout line into
 * `backend`'s progress; with `idleMs` (ms), SIGKILLs the whole process group once stdout stays
 * quiet that long.
 */
export async function runInvocation(
  invocation: CliInvocation,
  backend: Pick<CliBackend, 'progress'>,
  options: { cwd: string; env: Record<string, string>; proxy: RefusingProxy; idleMs?: number },
): Promise<InvocationRun> {
  const started = Date.now();
  const child = spawnInvocation(invocation, options);
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  let progress: CliProgress = { lastEventType: null, toolCalls: 0, tokens: 0 };
  let killedIdle = false;
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    if (options.idleMs === undefined) return;
    idle = setTimeout(() => {
      killedIdle = true;
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    }, options.idleMs);
  };
  arm();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    arm();
    const parts = (buffer + chunk).split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      progress = backend.progress(progress, line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(idle);
  if (buffer) lines.push(buffer);
  return { lines, stderr, exitCode, progress, killedIdle, ms: Date.now() - started };
}
