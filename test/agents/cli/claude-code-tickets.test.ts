/**
 * Claude Code as a ticket's agent (issue 10, "Tests: the real CLIs, a scripted model"): the real CLI
 * (the pinned devDependency) runs the REQUIREMENTS phase's `create_requirements_doc` task of a ticket
 * of the example repository, through the worker's executeTask activity, against the scripted
 * Anthropic API on 127.0.0.1; every other task is the reference agent's. Its key comes from the
 * secrets file; its proxy variables point at a proxy that refuses and logs (the log stays empty).
 */
import path from 'node:path';
import { SCRIPTED_USAGE, startAnthropicServer, type AnthropicServer, type AnthropicStep } from '../../fixtures/model-servers/anthropic';
import {
  expectBlockedAtOnce,
  expectCompletedAtOnce,
  expectHeartbeatProgress,
  expectRequirementsPassed,
  requirementsDocument,
  requirementsPath,
  startCliTicket,
  useCliTicketStack,
} from '../../helpers/cli-tickets';

const KEY = 'sk-ant-api03-scripted-ticket-key';

const { stack, backend, useSecrets } = useCliTicketStack({
  name: 'claude',
  type: 'claude-code',
  binary: path.resolve(__dirname, '../../../node_modules/.bin/claude'),
  model: 'claude-sonnet-4-5',
  passEnv: ['ANTHROPIC_API_KEY'],
});

let server: AnthropicServer;

beforeAll(async () => {
  server = await startAnthropicServer();
  Object.assign(backend().env, { ANTHROPIC_BASE_URL: server.baseUrl });
  useSecrets({ ANTHROPIC_API_KEY: KEY });
});
afterAll(() => server?.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** The model's two turns that write the ticket's requirements document with the Bash tool, then say so. */
function writesRequirements(externalId: string): AnthropicStep[] {
  const file = requirementsPath(externalId);
  const content = Buffer.from(requirementsDocument(externalId)).toString('base64');
  return [
    {
      kind: 'tool_use',
      name: 'Bash',
      input: { command: `mkdir -p ${path.dirname(file)} && echo ${content} | base64 -d > ${file}`, description: 'Write the requirements document' },
    },
    { kind: 'text', text: `Wrote ${file}.\n{"context": {"requirements_author": "claude"}}` },
  ];
}

describe('claude-code works a ticket task', () => {
  it('edits the working tree, the orchestrator commits, usage and cost are recorded', async () => {
    server.script(writesRequirements('CLAUDE-1'));
    const { id, handle } = await startCliTicket(stack, 'CLAUDE-1');
    const { task, execution } = await expectCompletedAtOnce(stack, id, handle, { externalId: 'CLAUDE-1', agent: 'claude' });
    expect(execution).toMatchObject({
      attempt: 1,
      backend: 'claude',
      backendType: 'claude-code',
      model: 'claude-sonnet-4-5',
      status: 'completed',
      inputTokens: 2 * (SCRIPTED_USAGE.inputTokens + SCRIPTED_USAGE.cacheReadTokens),
      outputTokens: 2 * SCRIPTED_USAGE.outputTokens,
      cachedTokens: 2 * SCRIPTED_USAGE.cacheReadTokens,
      costSource: 'reported',
      turns: 2,
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(Number(execution?.costUsd)).toBeGreaterThan(0);
    // The key came from the secrets file and reached only the model API.
    expect(server.requests.map((request) => request.headers['x-api-key'])).toEqual([KEY, KEY]);
    expect(JSON.stringify(task)).not.toContain(KEY);
  });

  it('retries a 429 (exit 1, subtype success, is_error true) and completes', async () => {
    server.script([{ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Scripted rate limit' }, ...writesRequirements('CLAUDE-2')]);
    const { id, handle } = await startCliTicket(stack, 'CLAUDE-2');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'rate_limited'],
      ['completed', null],
    ]);
    expect(task).toMatchObject({ status: 'completed', attempts: 2 });
    expect(task.executions[0]?.error).toContain('Scripted rate limit');
  });

  it('classifies a 500 by is_error (exit 1, subtype success) as retryable', async () => {
    server.script([{ kind: 'error', status: 500, type: 'api_error', message: 'Scripted server error' }, ...writesRequirements('CLAUDE-3')]);
    const { id, handle } = await startCliTicket(stack, 'CLAUDE-3');
    await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'api_error'],
      ['completed', null],
    ]);
  });

  it('blocks the ticket on a 400 with the CLI message, without retrying', async () => {
    // Claude Code answers a 400 by resending without some beta features (6 requests in 2.1.332): script them all.
    server.script(Array.from({ length: 8 }, () => ({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'Scripted bad request' }) as const));
    const { id, handle } = await startCliTicket(stack, 'CLAUDE-4');
    await expectBlockedAtOnce(stack, id, handle, 'Scripted bad request');
  });

  it('kills a run that stops emitting events at the idle timeout, then retries; its progress is the heartbeat', async () => {
    server.script([{ kind: 'silent' }, ...writesRequirements('CLAUDE-5')]);
    const { id, handle } = await startCliTicket(stack, 'CLAUDE-5');
    await expectHeartbeatProgress(handle, 'system/init');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'idle_timeout'],
      ['completed', null],
    ]);
    // Killed at the 8 s idle timeout, not at the CLI's own 300 s stream watchdog.
    expect(task.executions[0]?.durationMs).toBeLessThan(30_000);
  });
});
