/**
 * Gemini CLI as a ticket's agent (issue 10, "Tests: the real CLIs, a scripted model"): the real CLI
 * (the pinned devDependency) runs the REQUIREMENTS phase's `create_requirements_doc` task of a ticket
 * of the example repository, through the worker's executeTask activity, against the scripted Gemini
 * API on 127.0.0.1 (one server per test, its URL in the backend's `env`); every other task is the
 * reference agent's. Its key comes from the secrets file; its proxy variables point at a proxy that
 * refuses and logs (the log stays empty). Gemini CLI reports tokens, no cost: the stack's price table
 * prices them.
 */
import path from 'node:path';
import { startGeminiServer, type GeminiReply, type GeminiServer } from '../../fixtures/model-servers/gemini';
import {
  expectBlockedAtOnce,
  expectCompletedAtOnce,
  expectRequirementsPassed,
  requirementsDocument,
  requirementsPath,
  startCliTicket,
  useCliTicketStack,
} from '../../helpers/cli-tickets';

const KEY = 'AIzaSy-scripted-gemini-ticket-key';
const MODEL = 'gemini-2.5-pro';
/** USD per million tokens, as the stack's `prices[MODEL]`. */
const PRICE = { inputUsdPerMTok: 1.25, cachedInputUsdPerMTok: 0.25, outputUsdPerMTok: 10 };

const { stack, backend, useSecrets } = useCliTicketStack({
  name: 'gemini',
  type: 'gemini-cli',
  binary: path.resolve(__dirname, '../../../node_modules/.bin/gemini'),
  model: MODEL,
  passEnv: ['GEMINI_API_KEY'],
});

let server: GeminiServer | undefined;

/** Starts this test's scripted server with `replies` and points the backend at it. */
async function serve(replies: GeminiReply[]): Promise<GeminiServer> {
  server = await startGeminiServer(replies);
  Object.assign(backend().env, { GOOGLE_GEMINI_BASE_URL: server.baseUrl });
  return server;
}

beforeAll(() => {
  useSecrets({ GEMINI_API_KEY: KEY });
  stack.orchestrator.prices[MODEL] = PRICE;
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The model's two turns: write the ticket's requirements document with the `write_file` tool, then say so (with trailing JSON). */
function writesRequirements(externalId: string): GeminiReply[] {
  return [
    {
      kind: 'functionCall',
      name: 'write_file',
      args: { file_path: requirementsPath(externalId), content: requirementsDocument(externalId) },
      usage: { promptTokenCount: 1200, candidatesTokenCount: 300, cachedContentTokenCount: 200 },
    },
    {
      kind: 'text',
      text: `Wrote ${requirementsPath(externalId)}.\n{"context": {"requirements_author": "gemini"}}`,
      usage: { promptTokenCount: 1600, candidatesTokenCount: 40 },
    },
  ];
}

describe('gemini-cli works a ticket task', () => {
  it('edits the working tree, the orchestrator commits, usage and the priced cost are recorded', async () => {
    const scripted = await serve(writesRequirements('GEMINI-1'));
    const { id, handle } = await startCliTicket(stack, 'GEMINI-1');
    const { task, execution } = await expectCompletedAtOnce(stack, id, handle, { externalId: 'GEMINI-1', agent: 'gemini' });
    expect(execution).toMatchObject({
      attempt: 1,
      backend: 'gemini',
      backendType: 'gemini-cli',
      model: MODEL,
      status: 'completed',
      inputTokens: 1200 + 1600,
      outputTokens: 300 + 40,
      cachedTokens: 200,
      costSource: 'priced',
      turns: 2,
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
    const usd = ((2800 - 200) * PRICE.inputUsdPerMTok + 200 * PRICE.cachedInputUsdPerMTok + 340 * PRICE.outputUsdPerMTok) / 1_000_000;
    expect(Number(execution?.costUsd)).toBeCloseTo(usd, 6);
    // The key came from the secrets file and reached only the model API.
    expect(scripted.requests.map((request) => request.apiKey)).toEqual([KEY, KEY]);
    expect(JSON.stringify(task)).not.toContain(KEY);
  });

  it('fails a 429 at once (CLI retries off: general.maxAttempts 1) as rate_limited, and the retry completes', async () => {
    const scripted = await serve([{ kind: 'error', status: 429, message: 'Scripted rate limit' }, ...writesRequirements('GEMINI-2')]);
    const { id, handle } = await startCliTicket(stack, 'GEMINI-2');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'rate_limited'],
      ['completed', null],
    ]);
    expect(task).toMatchObject({ status: 'completed', attempts: 2 });
    expect(task.executions[0]?.error).toContain('Scripted rate limit');
    // The CLI rolled the failed first turn out of its session: nothing to resume, the retry starts afresh.
    expect(task.executions[0]?.sessionId).toBeNull();
    expect(scripted.requests).toHaveLength(3);
  });

  it('blocks the ticket on a 400 with the CLI message, without retrying', async () => {
    const scripted = await serve([{ kind: 'error', status: 400, message: 'Scripted bad request' }]);
    const { id, handle } = await startCliTicket(stack, 'GEMINI-3');
    await expectBlockedAtOnce(stack, id, handle, 'Scripted bad request');
    expect(scripted.requests).toHaveLength(1);
  });

  it('kills a run that stops emitting events at the idle timeout, then retries', async () => {
    await serve([{ kind: 'hang' }, ...writesRequirements('GEMINI-4')]);
    const { id, handle } = await startCliTicket(stack, 'GEMINI-4');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'idle_timeout'],
      ['completed', null],
    ]);
    // Killed at the 8 s idle timeout (Gemini CLI has no stream timeout of its own).
    expect(task.executions[0]?.durationMs).toBeLessThan(30_000);
    // A killed run's session keeps its prompt: the retry resumed it (--resume keeps the session ID).
    expect(task.executions[1]?.sessionId).toBe(task.executions[0]?.sessionId);
    expect(task.executions[0]?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
