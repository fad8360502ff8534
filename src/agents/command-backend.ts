/**
 * The `command` agent backend: runs a configured executable in the ticket's workspace, writes the
 * {@link AgentRequest} as JSON to its stdin and reads one {@link AgentResult} JSON object from its
 * stdout; stderr lines go to the log. It heartbeats while the process runs and kills the whole
 * process group (SIGTERM, then SIGKILL after a grace period) when the execution is cancelled or
 * times out. This is how coding agents with a command-line interface plug in.
 * Seed 004, milestones 1.2 (error categorization) and 1.4 (kill on timeout or cancellation).
 */
import path from 'node:path';
import { z } from 'zod';
import { spawnProcessGroup } from '../platform/process-group';
import type { CommandBackendConfig } from './config';
import { AgentFailure, AgentFailureType, isPermanentExitCode } from './agent-failure';
import { agentResultSchema, type AgentRequest, type AgentResult } from './protocol';

/** Most stdout an agent may write, in bytes (10 MiB); more is a protocol error. */
export const MAX_AGENT_OUTPUT_BYTES = 10 * 1024 * 1024;

/** How one run is observed and controlled. */
export interface CommandRunOptions {
  /** Working directory: the ticket's workspace (must exist). */
  cwd: string;
  /** Relative `./` and `../` arguments resolve against this directory (the config file's). */
  baseDir: string;
  /** Aborting kills the process group; the run then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Called every `heartbeatIntervalMs` while the process runs. */
  heartbeat: (details: { pid: number; elapsedMs: number }) => void;
  heartbeatIntervalMs: number;
  /** Receives each stderr line. */
  log: (line: string) => void;
  /** Called with the process ID (also its process group's) once the agent started. */
  onSpawn?: (pid: number) => void;
  /** Wait between SIGTERM and SIGKILL, ms (default the process group's, 2 s). */
  killGraceMs?: number;
}

const resolveArg = (arg: string, baseDir: string) => (arg.startsWith('./') || arg.startsWith('../') ? path.resolve(baseDir, arg) : arg);

function parseResult(stdout: string): AgentResult {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new AgentFailure(
      `agent wrote no JSON result to stdout (${stdout.length} bytes: ${JSON.stringify(stdout.slice(0, 200))})`,
      AgentFailureType.PROTOCOL_ERROR,
      false,
    );
  }
  const parsed = agentResultSchema.safeParse(json);
  if (!parsed.success) {
    throw new AgentFailure(`agent result does not follow the protocol:\n${z.prettifyError(parsed.error)}`, AgentFailureType.PROTOCOL_ERROR, false);
  }
  return parsed.data;
}

/** Why `signal` aborted: whatever its aborter passed (Temporal's cancellation passes a CancelledFailure). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason;
}

/**
 * Runs `backend` for `request`.
 *
 * @returns the agent's result (status `completed`, or `failed` that the caller classifies)
 * @throws AgentFailure: PROCESS_FAILED (killed, crashed, non-zero exit; retryable),
 *   REJECTED_TASK (exit 64–78), PROTOCOL_ERROR (no valid JSON result), UNAVAILABLE (executable
 *   missing or not executable); or the abort reason when `options.signal` aborts.
 */
export function runCommandAgent(backend: CommandBackendConfig, request: AgentRequest, options: CommandRunOptions): Promise<AgentResult> {
  return new Promise<AgentResult>((resolve, reject) => {
    if (options.signal.aborted) return reject(abortReason(options.signal));
    // Own process group, so a cancellation's kill reaches the agent's children too.
    const group = spawnProcessGroup(
      backend.command,
      backend.args.map((arg) => resolveArg(arg, options.baseDir)),
      {
        cwd: options.cwd,
        env: { ...process.env, ...backend.env },
        signal: options.signal,
        heartbeat: { send: options.heartbeat, intervalMs: options.heartbeatIntervalMs },
        killGraceMs: options.killGraceMs,
      },
    );
    const { child } = group;
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrRest = '';

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes <= MAX_AGENT_OUTPUT_BYTES) stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (stderrRest + chunk).split('\n');
      stderrRest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.log(line);
    });
    // An agent that exits without reading stdin makes the write fail with EPIPE; its exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(request));

    child.once('error', (error: NodeJS.ErrnoException) => {
      group.release();
      const permanent = error.code === 'ENOENT' || error.code === 'EACCES';
      reject(new AgentFailure(`cannot run agent ${backend.name} (${backend.command}): ${error.message}`, AgentFailureType.UNAVAILABLE, !permanent));
    });
    child.once('close', (code, signal) => {
      group.release();
      if (stderrRest.trim()) options.log(stderrRest);
      if (options.signal.aborted) return reject(abortReason(options.signal));
      if (signal) return reject(new AgentFailure(`agent process ${child.pid} was killed by ${signal}`, AgentFailureType.PROCESS_FAILED, true));
      if (code !== 0) {
        const permanent = isPermanentExitCode(code ?? 1);
        const type = permanent ? AgentFailureType.REJECTED_TASK : AgentFailureType.PROCESS_FAILED;
        return reject(new AgentFailure(`agent process exited with status ${code}`, type, !permanent));
      }
      if (stdoutBytes > MAX_AGENT_OUTPUT_BYTES) {
        return reject(new AgentFailure(`agent wrote ${stdoutBytes} bytes, more than ${MAX_AGENT_OUTPUT_BYTES}`, AgentFailureType.PROTOCOL_ERROR, false));
      }
      try {
        resolve(parseResult(Buffer.concat(stdout).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
  });
}
