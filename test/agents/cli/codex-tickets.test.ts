/**
 * Codex as a ticket's agent (issue 10, "Tests: the real CLIs, a scripted model"): the real CLI (the
 * pinned devDependency) runs the REQUIREMENTS phase's `create_requirements_doc` task of a ticket of
 * the example repository, through the worker's executeTask activity, against the scripted OpenAI
 * Responses API on 127.0.0.1 (the entry's `provider`); every other task is the reference agent's.
 * Its key comes from the secrets file; its proxy variables point at a proxy that refuses and logs
 * (the log stays empty). Codex reports no cost: the tokens are priced from the configuration's table.
 */
import path from 'node:path';
import { ResponsesServer, type ResponsesStep } from '../../fixtures/model-servers/openai-responses';
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

const KEY = 'sk-proj-scripted-codex-ticket-key';
const MODEL = 'gpt-5.5';
/** USD per million tokens, for the `priced` cost of the execution row. */
const PRICE = { inputUsdPerMTok: 1.25, cachedInputUsdPerMTok: 0.125, outputUsdPerMTok: 10 };
/** Tokens of one scripted response (the server's default usage). */
const USAGE = { input: 1000, cached: 200, output: 50, reasoning: 10 };

const { stack, backend, useSecrets } = useCliTicketStack({
  name: 'codex',
  type: 'codex',
  binary: path.resolve(__dirname, '../../../node_modules/.bin/codex'),
  model: MODEL,
  passEnv: ['OPENAI_API_KEY'],
});

let server: ResponsesServer;

beforeAll(async () => {
  server = await ResponsesServer.start();
  Object.assign(backend(), { provider: { baseUrl: server.baseUrl, envKey: 'OPENAI_API_KEY' } });
  stack.orchestrator.prices[MODEL] = PRICE;
  useSecrets({ OPENAI_API_KEY: KEY });
});
afterAll(() => server?.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** The model's two responses that add the ticket's requirements document with Codex's apply_patch tool, then say so. */
function writesRequirements(externalId: string): ResponsesStep[] {
  const file = requirementsPath(externalId);
  const added = requirementsDocument(externalId)
    .trimEnd()
    .split('\n')
    .map((line) => `+${line}`)
    .join('\n');
  return [
    { kind: 'custom_tool_call', name: 'apply_patch', input: `*** Begin Patch\n*** Add File: ${file}\n${added}\n*** End Patch\n`, usage: USAGE },
    { kind: 'message', text: `Wrote ${file}.\n{"context": {"requirements_author": "codex"}}`, usage: USAGE },
  ];
}

describe('codex works a ticket task', () => {
  it('edits the working tree, the orchestrator commits, usage and priced cost are recorded', async () => {
    server.enqueue(...writesRequirements('CODEX-1'));
    const { id, handle } = await startCliTicket(stack, 'CODEX-1');
    const { task, execution } = await expectCompletedAtOnce(stack, id, handle, { externalId: 'CODEX-1', agent: 'codex' });
    const inputTokens = 2 * USAGE.input;
    const cachedTokens = 2 * USAGE.cached;
    const outputTokens = 2 * USAGE.output;
    expect(execution).toMatchObject({
      attempt: 1,
      backend: 'codex',
      backendType: 'codex',
      model: MODEL,
      status: 'completed',
      inputTokens,
      outputTokens,
      cachedTokens,
      costSource: 'priced',
      // Codex counts one turn per `codex exec` (its tool calls are inside it).
      turns: 1,
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const priced =
      ((inputTokens - cachedTokens) * PRICE.inputUsdPerMTok + cachedTokens * PRICE.cachedInputUsdPerMTok + outputTokens * PRICE.outputUsdPerMTok) / 1e6;
    expect(Number(execution?.costUsd)).toBeCloseTo(priced, 8);
    // Codex asked the scripted API for the configured model, with the ticket's task in its input.
    const [first] = server.modelRequests.map((request) => request.body as { model: string; input: unknown });
    expect(first?.model).toBe(MODEL);
    expect(JSON.stringify(first?.input)).toContain('CODEX-1');
    // The key came from the secrets file and reached only the model API.
    expect(server.modelRequests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    expect(JSON.stringify(task)).not.toContain(KEY);
  });

  it('retries a 429 (Codex never retries one itself: turn.failed, exit 1) and completes', async () => {
    server.enqueue(
      { kind: 'error', status: 429, message: 'Scripted rate limit', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
      ...writesRequirements('CODEX-2'),
    );
    const { id, handle } = await startCliTicket(stack, 'CODEX-2');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'rate_limited'],
      ['completed', null],
    ]);
    expect(task).toMatchObject({ status: 'completed', attempts: 2 });
    expect(task.executions[0]?.error).toContain('429 Too Many Requests');
    // The retry resumed the failed run's thread (`codex exec resume`).
    expect(task.executions[1]?.sessionId).toBe(task.executions[0]?.sessionId);
  });

  it('blocks the ticket on a 400 with the provider message, without retrying', async () => {
    server.enqueue({ kind: 'error', status: 400, message: 'Scripted bad request' });
    const { id, handle } = await startCliTicket(stack, 'CODEX-3');
    await expectBlockedAtOnce(stack, id, handle, 'Scripted bad request');
    expect(server.modelRequests).toHaveLength(1);
  });

  it('kills a run whose stream goes silent at the idle timeout, then retries; its progress is the heartbeat', async () => {
    server.enqueue({ kind: 'silent' }, ...writesRequirements('CODEX-4'));
    const { id, handle } = await startCliTicket(stack, 'CODEX-4');
    await expectHeartbeatProgress(handle, 'turn.started');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'idle_timeout'],
      ['completed', null],
    ]);
    // Killed at the 8 s idle timeout, not at Codex's own 300 s `stream_idle_timeout_ms`.
    expect(task.executions[0]?.durationMs).toBeLessThan(30_000);
  });
});
