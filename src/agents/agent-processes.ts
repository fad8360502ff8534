/**
 * Agent processes left behind by a crashed worker. A command agent runs in its own process group,
 * so killing the worker does not kill it; its group ID is kept in a directory of the ticket's
 * outside its workspace (`<dir>/<taskId>.pid`, where a git working tree's reset cannot remove it)
 * while it runs, and the next execution of the task stops a leftover group before it starts, so
 * two runs of one task never work in the workspace at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { signalProcessGroup } from '../platform/process-group';

const pidFile = (dir: string, taskId: string) => path.join(dir, `${taskId}.pid`);

/** Records the running agent's process group for `taskId` (synchronously, before the agent can exit). */
export function rememberAgent(dir: string, taskId: string, pid: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(pidFile(dir, taskId), String(pid));
}

/** Forgets the agent of `taskId` (it exited). */
export async function forgetAgent(dir: string, taskId: string): Promise<void> {
  await rm(pidFile(dir, taskId), { force: true });
}

/**
 * Kills the process group a previous execution of `taskId` left running, if any.
 *
 * @returns the group ID killed, or undefined
 */
export async function stopLeftoverAgent(dir: string, taskId: string): Promise<number | undefined> {
  const pid = Number(await readFile(pidFile(dir, taskId), 'utf8').catch(() => ''));
  await forgetAgent(dir, taskId);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return signalProcessGroup(pid, 'SIGKILL') ? pid : undefined;
}

/** The directory of a ticket's agent process records: `<workspacesDir>/.agents/<ticketId>`. */
export function agentRecordsDir(workspacesDir: string, ticketId: string): string {
  return path.join(workspacesDir, '.agents', ticketId);
}
