/**
 * Agent processes left behind by a crashed worker. A command agent runs in its own process group,
 * so killing the worker does not kill it; its group ID is kept in the ticket's workspace
 * (`.agents/<taskId>.pid`) while it runs, and the next execution of the task stops a leftover
 * group before it starts, so two runs of one task never work in the workspace at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { signalProcessGroup } from '../platform/process-group';

const pidFile = (workspace: string, taskId: string) => path.join(workspace, '.agents', `${taskId}.pid`);

/** Records the running agent's process group for `taskId` (synchronously, before the agent can exit). */
export function rememberAgent(workspace: string, taskId: string, pid: number): void {
  mkdirSync(path.dirname(pidFile(workspace, taskId)), { recursive: true });
  writeFileSync(pidFile(workspace, taskId), String(pid));
}

/** Forgets the agent of `taskId` (it exited). */
export async function forgetAgent(workspace: string, taskId: string): Promise<void> {
  await rm(pidFile(workspace, taskId), { force: true });
}

/**
 * Kills the process group a previous execution of `taskId` left running, if any.
 *
 * @returns the group ID killed, or undefined
 */
export async function stopLeftoverAgent(workspace: string, taskId: string): Promise<number | undefined> {
  const pid = Number(await readFile(pidFile(workspace, taskId), 'utf8').catch(() => ''));
  await forgetAgent(workspace, taskId);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return signalProcessGroup(pid, 'SIGKILL') ? pid : undefined;
}
