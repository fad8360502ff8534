/**
 * Aider as a ticket's agent (issue 10, "Tests: the real CLIs, a scripted model"): the real `aider`
 * (`.tools/aider-venv/bin/aider`, installed by the set-up) runs the REQUIREMENTS phase's
 * `create_requirements_doc` task of a ticket of the example repository, through the worker's
 * executeTask activity, against the scripted OpenAI chat-completions server on 127.0.0.1 (one per
 * test); every other task is the reference agent's. Its key comes from the secrets file; its proxy
 * variables point at a proxy that refuses and logs (the log stays empty).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CliBackendConfig } from '../../../src/agents/cli/config';
import { OpenAiChatServer, type ChatReply } from '../../fixtures/model-servers/openai-chat';
import {
  expectBlockedAtOnce,
  expectCompletedAtOnce,
  expectRequirementsPassed,
  requirementsDocument,
  requirementsPath,
  startCliTicket,
  useCliTicketStack,
} from '../../helpers/cli-tickets';

const AIDER = path.resolve(__dirname, '../../../.tools/aider-venv/bin/aider');
const KEY = 'sk-aider-scripted-ticket-key';
const MODEL = 'aider-test-model';
/** Under 1000 tokens each: Aider rounds larger counts (`1.2k`). */
const USAGE = { promptTokens: 900, completionTokens: 300 };
/** USD per million tokens of {@link MODEL} in the stack's price table (Aider reports no cost: its metadata prices are 0). */
const PRICE = { inputUsdPerMTok: 3, outputUsdPerMTok: 15 };

const { stack, backend, useSecrets } = useCliTicketStack({
  name: 'aider',
  type: 'aider',
  binary: AIDER,
  model: MODEL,
  passEnv: ['OPENAI_API_KEY'],
  // The idle timer is armed at spawn and Aider prints nothing while Python starts (3–20 s on a loaded machine).
  idleTimeoutMs: 25_000,
});

let server: OpenAiChatServer;

/** Starts this test's model server with `replies` and points the backend at it. */
async function script(replies: ChatReply[]): Promise<void> {
  server = await OpenAiChatServer.start(replies);
  (backend() as Extract<CliBackendConfig, { type: 'aider' }>).openaiApiBase = server.baseUrl;
}

beforeAll(() => {
  if (!existsSync(AIDER)) throw new Error(`${AIDER} is missing: run "node scripts/start.mjs --setup"`);
  stack.orchestrator.prices[MODEL] = PRICE;
  useSecrets({ OPENAI_API_KEY: KEY });
});
afterEach(async () => {
  await server?.close();
});

/** The model's reply that writes the ticket's requirements document in Aider's whole-file format, then says so. */
function writesRequirements(externalId: string): ChatReply {
  const file = requirementsPath(externalId);
  const content = `Wrote ${file}.\n\n${file}\n\`\`\`\n${requirementsDocument(externalId)}\`\`\`\n\n{"context": {"requirements_author": "aider"}}\n`;
  return { kind: 'text', content, ...USAGE };
}

describe('aider works a ticket task', () => {
  it('edits the working tree, the orchestrator commits, usage is recorded and priced', async () => {
    await script([writesRequirements('AIDER-1')]);
    const { id, handle } = await startCliTicket(stack, 'AIDER-1');
    // The summary is Aider's echo of the reply (the file's content included); its trailing JSON is the output's fields.
    const { task, execution, branch } = await expectCompletedAtOnce(stack, id, handle, {
      externalId: 'AIDER-1',
      agent: 'aider',
      summary: expect.stringMatching(/^Wrote .*```$/s),
    });
    // Aider's repository-map cache, written at the tree's root, was not committed.
    expect(() => branch.file('.aider.tags.cache.v4/cache.db')).toThrow();
    expect(execution).toMatchObject({
      attempt: 1,
      backend: 'aider',
      backendType: 'aider',
      model: MODEL,
      status: 'completed',
      inputTokens: USAGE.promptTokens,
      outputTokens: USAGE.completionTokens,
      cachedTokens: 0,
      costSource: 'priced',
      turns: 1,
      sessionId: null,
    });
    expect(Number(execution?.costUsd)).toBeCloseTo((USAGE.promptTokens * PRICE.inputUsdPerMTok + USAGE.completionTokens * PRICE.outputUsdPerMTok) / 1e6, 9);
    // The key came from the secrets file and reached only the model API.
    expect(server.chatRequests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`]);
    expect(server.chatRequests[0]?.body).toMatchObject({ model: MODEL });
    expect(JSON.stringify(task)).not.toContain(KEY);
  });

  it('completes in one execution after a 429: Aider retries it itself and cannot be told not to', async () => {
    await script([{ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Scripted rate limit' }, writesRequirements('AIDER-2')]);
    const { id, handle } = await startCliTicket(stack, 'AIDER-2');
    const task = await expectRequirementsPassed(stack, id, handle, [['completed', null]]);
    expect(task).toMatchObject({ status: 'completed', attempts: 1 });
    // The server answered the first request 429; Aider's own retry loop sent the second.
    expect(server.chatRequests).toHaveLength(2);
  });

  it('blocks the ticket on a 400 with the CLI message, without retrying (aider exits 0)', async () => {
    await script([{ kind: 'error', status: 400, message: 'Scripted bad request' }]);
    const { id, handle } = await startCliTicket(stack, 'AIDER-3');
    await expectBlockedAtOnce(stack, id, handle, 'Scripted bad request');
    expect(server.chatRequests).toHaveLength(1);
  });

  it('kills a run whose model never answers at the idle timeout, then retries', async () => {
    await script([{ kind: 'silent' }, writesRequirements('AIDER-4')]);
    const { id, handle } = await startCliTicket(stack, 'AIDER-4');
    const task = await expectRequirementsPassed(stack, id, handle, [
      ['failed', 'idle_timeout'],
      ['completed', null],
    ]);
    // Killed at the 25 s idle timeout, not at LiteLLM's 600 s request timeout.
    expect(task.executions[0]?.durationMs).toBeLessThan(60_000);
  });
});
