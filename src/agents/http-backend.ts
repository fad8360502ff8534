/**
 * The `http` agent backend: posts the {@link AgentRequest} to an agent service, which accepts it
 * (2xx) and works asynchronously; it later reports through POST /tasks/:id/complete or
 * /tasks/:id/fail at the callback URLs it was given. The Temporal task token never leaves the
 * orchestrator: the callback names the task, and the API looks the token up server-side.
 * Seed 004, milestone 1.2 (error categorization).
 */
import type { HttpBackendConfig } from './config';
import { AgentFailure, AgentFailureType } from './agent-failure';
import type { AgentRequest } from './protocol';

/** What an http agent receives: the request plus where to report the result. */
export interface HttpAgentRequest extends AgentRequest {
  callback: {
    /** POST here with an agent result (`{ status: "completed", output, artifacts, usage? }`; `usage`: what the execution used, issue 10). */
    completeUrl: string;
    /** POST here with `{ error, retryable?, usage? }`. */
    failUrl: string;
  };
}

/** Longest wait for the agent service to accept a task, ms. */
export const HANDOVER_TIMEOUT_MS = 30_000;

/**
 * Hands the task over. Resolves once the service answered 2xx.
 *
 * @throws AgentFailure UNAVAILABLE: retryable for network errors, timeouts and 5xx/429;
 *   REJECTED_TASK (permanent) for other 4xx answers.
 */
export async function handOverToHttpAgent(backend: HttpBackendConfig, request: HttpAgentRequest, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(backend.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...backend.headers },
      body: JSON.stringify(request),
      signal: AbortSignal.any([signal, AbortSignal.timeout(HANDOVER_TIMEOUT_MS)]),
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new AgentFailure(`agent service ${backend.name} unreachable at ${backend.url}: ${(error as Error).message}`, AgentFailureType.UNAVAILABLE, true);
  }
  await response.body?.cancel();
  if (response.ok) return;
  const transient = response.status >= 500 || response.status === 429;
  throw new AgentFailure(
    `agent service ${backend.name} answered ${response.status} to the task`,
    transient ? AgentFailureType.UNAVAILABLE : AgentFailureType.REJECTED_TASK,
    transient,
  );
}
