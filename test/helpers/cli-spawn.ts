/**
 * Spawning a real coding-agent CLI in the backends' end-to-end tests (issue 10, "Tests: the real
 * CLIs, a scripted model") the way the runner does, without the runner.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CliInvocation } from '../../src/agents/cli/contracts';
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
