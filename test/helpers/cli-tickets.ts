/**
 * Tickets worked by a real coding-agent CLI (issue 10), for the per-CLI ticket tests: the CLI on the
 * `documentation` capability (the REQUIREMENTS phase's `create_requirements_doc`) and the reference
 * agent on everything else, the example repository (the configuration's default), the refusing
 * proxy in the CLI's environment, and a requirements document the gate accepts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { CliBackendConfig } from '../../src/agents/config';
import { ticketKey } from '../../src/repositories/contracts';
import { Phase } from '../../src/ticket/phases';
import type { ticketWorkflow } from '../../workflows';
import type { TicketWorkflowState } from '../../workflows/ticket/messages';
import { startRefusingProxy, type RefusingProxy } from '../fixtures/model-servers/refusing-proxy';
import { ALL_CAPABILITIES, fixtureConfig, referenceBackend } from './agents';
import { poll } from './poll';
import { useTicketStack, waitForState, type TicketStack } from './temporal';

/** The task the CLI runs in these tests, and the capability that routes it there. */
export const CLI_TASK = { taskType: 'create_requirements_doc', capability: 'documentation' } as const;

/** Where the gate collects a ticket's requirements document (DOCUMENT_PATHS). */
export const requirementsPath = (externalId: string) => `docs/tickets/${ticketKey({ id: '', externalId })}/requirements.md`;

/** A requirements document that passes the REQUIREMENTS gate (over 500 characters, Scope and Acceptance Criteria sections). */
export function requirementsDocument(externalId: string): string {
  return [
    `# Requirements: ${externalId}`,
    '',
    '## Scope',
    '',
    'Add a `multiply(a, b)` function to the calculator module and export it next to `add`. Inputs are finite numbers;',
    'anything else throws a TypeError naming the argument. No change to the existing functions or their tests.',
    '',
    '## Acceptance Criteria',
    '',
    '- `multiply(3, 4)` returns 12 and `multiply(-2, 0.5)` returns -1.',
    '- `multiply("3", 4)` throws a TypeError that names the first argument.',
    '- The module documentation lists `multiply` with one example.',
    '',
    '## Risks',
    '',
    '- Floating-point results are compared with a tolerance in the tests, never with strict equality.',
    '',
  ].join('\n');
}

/** A ticket stack whose CLI backend the tests adjust (its `env`, the secrets file) once their servers run. */
export interface CliTicketStack {
  stack: TicketStack;
  /** The CLI backend entry as the worker uses it (mutable: tests add the model server's URL to `env`). */
  backend: () => CliBackendConfig;
  /** Writes `secrets` to the configuration's secrets file (the CLI's passEnv variables come from it). */
  useSecrets: (secrets: Record<string, string>) => void;
}

/**
 * A ticket stack with `backend` (a CLI backend entry, capabilities set here; by default an 8 s
 * idle timeout, so a hanging run is killed quickly, and a 10 s heartbeat timeout) before the reference
 * agent, a refusing proxy in the CLI's environment (after each test its log must be empty) and a
 * temporary secrets file. Call at a test file's top level (it registers beforeAll/afterEach/afterAll).
 */
export function useCliTicketStack(
  backend: Omit<CliBackendConfig, 'capabilities' | 'args' | 'passEnv' | 'env' | 'cliRetries' | 'idleTimeoutMs' | 'timeoutMs' | 'heartbeatTimeoutMs'> &
    Partial<CliBackendConfig>,
): CliTicketStack {
  const stack = useTicketStack(
    fixtureConfig({ idleTimeoutMs: 8000, heartbeatTimeoutMs: 10_000, ...backend, capabilities: [CLI_TASK.capability] }, referenceBackend(ALL_CAPABILITIES)),
  );
  let proxy: RefusingProxy | undefined;
  let dir = '';
  const cli = () => stack.orchestrator.backends[0] as CliBackendConfig;
  beforeAll(async () => {
    proxy = await startRefusingProxy();
    dir = mkdtempSync(path.join(os.tmpdir(), 'cli-secrets-'));
    stack.orchestrator.secretsFile = path.join(dir, 'secrets.json');
    writeFileSync(stack.orchestrator.secretsFile, '{}');
    Object.assign(cli().env, proxy.env());
  });
  afterEach(() => expect(proxy?.log).toEqual([]));
  afterAll(async () => {
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    stack,
    backend: cli,
    useSecrets: (secrets) => writeFileSync(stack.orchestrator.secretsFile ?? '', JSON.stringify(secrets)),
  };
}

/** Starts a ticket of the example repository with one gate try (a failed gate blocks at once). */
export async function startCliTicket(stack: TicketStack, externalId: string) {
  const { ticket } = await stack.tickets({ gateRetries: 0 }).create({
    externalId,
    title: `Multiply for ${externalId}`,
    description: 'Add a multiplication to the calculator.',
    acceptanceCriteria: ['multiplies two numbers'],
  });
  return { id: ticket.id, handle: stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId) };
}

/** Waits until the ticket left REQUIREMENTS (its gate passed) or is blocked, and returns that state. */
export function pastRequirements(handle: { query: (...args: never[]) => Promise<unknown> }, timeoutMs = 120_000): Promise<TicketWorkflowState> {
  return waitForState(
    handle as Parameters<typeof waitForState>[0],
    (state) => state.phase === Phase.BLOCKED || (state.phase !== Phase.BACKLOG && state.phase !== Phase.REQUIREMENTS),
    timeoutMs,
  );
}

/** The CLI's task row of the ticket's REQUIREMENTS phase, with its executions in attempt order. */
export async function cliTask(stack: TicketStack, ticketId: string) {
  return stack.db.prisma.task.findFirstOrThrow({
    where: { ticketId, taskType: CLI_TASK.taskType },
    include: { executions: { orderBy: { attempt: 'asc' } } },
  });
}

/** The ticket's branch on its repository's remote: `git` there, and the branch's name. */
export async function ticketBranchOnRemote(stack: TicketStack, ticketId: string) {
  const ticket = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId }, include: { repository: true } });
  if (!ticket.repository || !ticket.branch) throw new Error(`ticket ${ticketId} has no repository branch`);
  const remote = ticket.repository.url;
  const branch = ticket.branch;
  const git = (...args: string[]) => execFileSync('git', ['--git-dir', remote, ...args], { encoding: 'utf8' }).trim();
  return {
    branch,
    /** `author|subject` of the branch's commits since its base, newest first. */
    commits: () => git('log', '--format=%an|%s', `${ticket.baseCommit ?? 'main'}..${branch}`).split('\n'),
    /** A file's content on the branch. */
    file: (file: string) => git('show', `${branch}:${file}`),
  };
}

/** `[status, failureKind]` of each of a task's executions, in attempt order (e.g. `[['failed', 'rate_limited'], ['completed', null]]`). */
function executionOutcomes(task: { executions: { status: string; failureKind: string | null }[] }): [string, string | null][] {
  return task.executions.map(({ status, failureKind }) => [status, failureKind]);
}

/**
 * Asserts that, while the CLI hangs, the running executeTask activity of the ticket's workflow
 * heartbeats the run's progress with `lastEventType` (and no tool call or token yet), read as the
 * Web UI reads it (DescribeWorkflowExecution: the pending activity's decoded heartbeat details).
 *
 * @throws Error when no such heartbeat comes within `timeoutMs` (ms)
 */
export async function expectHeartbeatProgress(handle: WorkflowHandle, lastEventType: string, timeoutMs = 60_000): Promise<void> {
  const details = await poll(
    async () => {
      const { raw } = await handle.describe();
      const pending = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'executeTask');
      const payload = pending?.heartbeatDetails?.payloads?.[0];
      return payload ? defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload) : undefined;
    },
    (heartbeat) => heartbeat?.lastEventType === lastEventType,
    'the hanging CLI run heartbeating its progress',
    timeoutMs,
  );
  expect(details).toMatchObject({ lastEventType, toolCalls: 0, tokens: 0, pid: expect.any(Number), elapsedMs: expect.any(Number) });
}

/**
 * Asserts that the ticket passes REQUIREMENTS (the gate accepted the document: the ticket is in
 * DESIGN) and, given `outcomes`, that the CLI task's executions ended so (see {@link executionOutcomes}).
 *
 * @returns the CLI's task row (with its executions)
 */
export async function expectRequirementsPassed(stack: TicketStack, id: string, handle: WorkflowHandle, outcomes?: [string, string | null][]) {
  expect(await pastRequirements(handle)).toMatchObject({ phase: Phase.DESIGN });
  const task = await cliTask(stack, id);
  if (outcomes) expect(executionOutcomes(task)).toEqual(outcomes);
  return task;
}

/**
 * Asserts that the ticket blocks in REQUIREMENTS on the CLI task's first execution (failed as
 * `api_error`, not retried) with `message` in the task's error and the ticket's `blocked_reason`.
 * The workflow's state is BLOCKED before its transition activity writes the ticket row: this waits
 * for the row.
 *
 * @returns the CLI's task row (with its executions)
 */
export async function expectBlockedAtOnce(stack: TicketStack, id: string, handle: WorkflowHandle, message: string) {
  expect(await pastRequirements(handle)).toMatchObject({ phase: Phase.BLOCKED });
  const ticket = await poll(
    () => stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } }),
    (row) => row.blockedReason !== null,
    'the blocked ticket row',
  );
  const task = await cliTask(stack, id);
  expect(task).toMatchObject({ status: 'failed', attempts: 1 });
  expect(task.error).toContain(message);
  expect(ticket.blockedReason).toContain(message);
  expect(executionOutcomes(task)).toEqual([['failed', 'api_error']]);
  return task;
}

/**
 * Asserts the first-try path: the ticket passes REQUIREMENTS with the CLI task completed by `agent`
 * (the backend's name) in one execution, its output's summary `summary` (by default
 * `Wrote <path>.`; a string or an asymmetric matcher) and context `{requirements_author: agent}`,
 * and the requirements document on the ticket's branch in a commit authored by `agent` whose
 * subject carries the summary's first line `Wrote <path>.`.
 *
 * @returns the task, its one execution, and the ticket's branch (see {@link ticketBranchOnRemote})
 */
export async function expectCompletedAtOnce(
  stack: TicketStack,
  id: string,
  handle: WorkflowHandle,
  { externalId, agent, summary = `Wrote ${requirementsPath(externalId)}.` }: { externalId: string; agent: string; summary?: unknown },
) {
  const task = await expectRequirementsPassed(stack, id, handle);
  expect(task).toMatchObject({ status: 'completed', assignedAgent: agent, attempts: 1 });
  expect(task.result).toMatchObject({ output: { summary, context: { requirements_author: agent } } });
  const branch = await ticketBranchOnRemote(stack, id);
  expect(branch.file(requirementsPath(externalId))).toBe(requirementsDocument(externalId).trim());
  expect(branch.commits()).toContain(`${agent}|${externalId} ${CLI_TASK.taskType}: Wrote ${requirementsPath(externalId)}.`);
  expect(task.executions).toHaveLength(1);
  const [execution] = task.executions;
  return { task, execution, branch };
}
