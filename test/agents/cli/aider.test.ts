/**
 * The Aider backend: its output parser on recorded Aider 0.86.2 output (test/fixtures/cli/aider/),
 * and end-to-end runs of the real `aider` (`.tools/aider-venv/bin/aider`, installed by
 * `node scripts/install-aider.mjs`) in a temporary git repository with its own HOME and TMPDIR,
 * against the scripted OpenAI chat-completions server, behind a proxy that refuses and logs
 * everything (its log must stay empty: Aider must not call out).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aiderBackend, aiderModelMetadata, aiderModelSettings } from '../../../src/agents/cli/aider';
import type { CliProgress } from '../../../src/agents/cli/contracts';
import { OpenAiChatServer, type ChatReply } from '../../fixtures/model-servers/openai-chat';
import { startRefusingProxy, type RefusedRequest } from '../../fixtures/model-servers/refusing-proxy';
import { spawnInvocation } from '../../helpers/cli-spawn';

const ROOT = path.resolve(__dirname, '../../..');
const AIDER = path.join(ROOT, '.tools/aider-venv/bin/aider');
const FIXTURES = path.join(ROOT, 'test/fixtures/cli/aider');
const MODEL = 'test-model';
const PRICES = { inputCostPerToken: 0.000003, outputCostPerToken: 0.000015, maxInputTokens: 128_000, maxOutputTokens: 4096 };
const PROMPT = 'Change hello.txt so that it says "hello, aider".';
/** The whole-file edit format Aider uses for an unknown `openai/` model: the path, then a fence. */
const EDIT = 'I will update the greeting.\n\nhello.txt\n```\nhello, aider\n```\n';

function fixture(name: string): string[] {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
}

const backend = aiderBackend({
  openaiApiBase: 'http://127.0.0.1:9999/v1',
  modelMetadataFile: '/scratch/aider-models.json',
  modelSettingsFile: '/scratch/aider-settings.yml',
  files: ['hello.txt'],
});

describe('aider backend: parser on recorded output', () => {
  it('builds the headless, offline command line', () => {
    const invocation = backend.invocation({ binary: 'aider', prompt: 'Do it', model: MODEL, extraArgs: ['--map-tokens', '0'] });
    expect(invocation.command).toBe('aider');
    expect(invocation.args).toEqual([
      '--message', 'Do it', '--yes-always', '--no-auto-commits', '--no-dirty-commits', '--no-stream',
      '--no-pretty', '--no-fancy-input', '--no-gitignore', '--no-show-release-notes',
      '--no-suggest-shell-commands', '--no-check-update', '--analytics-disable', '--no-show-model-warnings',
      '--chat-history-file', '/dev/null', '--input-history-file', '/dev/null',
      '--openai-api-base', 'http://127.0.0.1:9999/v1',
      '--model-metadata-file', '/scratch/aider-models.json',
      '--model-settings-file', '/scratch/aider-settings.yml',
      '--model', 'openai/test-model', 'hello.txt', '--map-tokens', '0',
    ]); // prettier-ignore
    expect(invocation.env).toMatchObject({ LITELLM_LOCAL_MODEL_COST_MAP: 'True', BROWSER: 'true' });
    expect(invocation.stdin).toBeUndefined();
  });

  it('reads a completed run: the reply, the edit, tokens and the reported cost', () => {
    const lines = fixture('success.txt');
    expect(backend.outcome(lines, 0)).toEqual({
      status: 'completed',
      summary: 'I will update the greeting.\n\n\n\nhello.txt\n\n```diff\n@@ -1 +1 @@\n-hello\n+hello, aider\n```',
      usage: { inputTokens: 1200, outputTokens: 40, cachedTokens: 0, costUsd: 0.0042, costSource: 'reported', turns: 1, sessionId: null },
    });
    // Without a reply the summary is the edits applied.
    expect(backend.outcome(['Tokens: 10 sent, 5 received.', 'Applied edit to hello.txt'], 0)).toMatchObject({
      status: 'completed',
      summary: 'Applied edit to hello.txt',
    });
    const progress = lines.reduce<CliProgress>((p, line) => backend.progress(p, line), { lastEventType: null, toolCalls: 0, tokens: 0 });
    expect(progress).toEqual({ lastEventType: 'edit', toolCalls: 1, tokens: 1240 });
  });

  it('reads a run Aider retried itself after a 429 as completed', () => {
    const outcome = backend.outcome(fixture('rate-limited-then-success.txt'), 0);
    expect(outcome).toMatchObject({ status: 'completed', usage: { inputTokens: 1200, outputTokens: 40, turns: 1 } });
    if (outcome.status === 'completed') expect(outcome.summary).not.toMatch(/RateLimitError|Retrying/);
  });

  it('reads a 400 as a permanent failure with the message, despite exit code 0', () => {
    expect(backend.outcome(fixture('bad-request.txt'), 0)).toEqual({
      status: 'failed',
      retryable: false,
      kind: 'api_error',
      error: 'aider: litellm.BadRequestError: OpenAIException - Invalid prompt: the scripted server refuses it, see https://example.invalid/docs',
      usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: null, costSource: null, turns: 0, sessionId: null },
    });
  });

  it('reads a 429 Aider gave up on, a wrapped 5xx and a missing usage line', () => {
    const gaveUp = ['Added hello.txt to the chat.', 'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached', 'The API provider has rate limited you. Try again later or check your quotas.', ''];
    expect(backend.outcome(gaveUp, 0)).toMatchObject({ status: 'failed', retryable: true, kind: 'rate_limited' });
    const wrapped = ['litellm.InternalServerError: InternalServerError: OpenAIException - the server', 'is down', 'Retrying in 0.2 seconds...'];
    expect(backend.outcome(wrapped, 0)).toMatchObject({ status: 'failed', retryable: true, kind: 'api_error', error: 'aider: litellm.InternalServerError: InternalServerError: OpenAIException - the server is down' });
    expect(backend.outcome(['Aider v0.86.2', 'Added hello.txt to the chat.'], 0)).toMatchObject({ status: 'failed', retryable: false, kind: 'protocol' });
    expect(backend.outcome(['aider: error: unrecognized arguments: --bogus'], 2)).toMatchObject({ status: 'failed', retryable: false, kind: 'usage' });
  }); // prettier-ignore

  it('reads a killed run as retryable, and sums cache counts and k-rounded tokens', () => {
    expect(backend.outcome(fixture('idle-killed.txt'), null)).toMatchObject({ status: 'failed', retryable: true, kind: 'process' });
    const cached = ['Tokens: 12k sent, 2.5k cache write, 9.0k cache hit, 512 received.', 'Cost: $0.05 message, $0.07 session.'];
    expect(backend.outcome(cached, 0)).toMatchObject({
      status: 'completed',
      usage: { inputTokens: 14_500, cachedTokens: 9000, outputTokens: 512, costUsd: 0.07 },
    });
  });
});

interface Run {
  lines: string[];
  exitCode: number | null;
  ms: number;
  server: OpenAiChatServer;
  proxyLog: RefusedRequest[];
  /** `git status --porcelain` of the tree after the run. */
  status: string;
  hello: string;
  /** Entries left in the run's TMPDIR. */
  tmpLeft: string[];
}

/**
 * Runs the real aider on a fresh repository (hello.txt committed, `.aider*` excluded) against a server
 * scripted with `replies`; kills its process group when it prints nothing for `idleMs`.
 */
async function runAider(replies: ChatReply[], idleMs = 40_000): Promise<Run> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'aider-test-'));
  const repo = path.join(base, 'repo');
  const home = path.join(base, 'home');
  const tmp = path.join(base, 'tmp');
  const scratch = path.join(base, 'scratch');
  for (const dir of [repo, home, tmp, scratch]) fs.mkdirSync(dir);
  const server = await OpenAiChatServer.start(replies);
  const proxy = await startRefusingProxy();
  try {
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'hello\n');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'initial');
    fs.appendFileSync(path.join(repo, '.git/info/exclude'), '.aider*\n');
    const modelMetadataFile = path.join(scratch, 'aider-models.json');
    const modelSettingsFile = path.join(scratch, 'aider-settings.yml');
    fs.writeFileSync(modelMetadataFile, aiderModelMetadata(MODEL, PRICES));
    fs.writeFileSync(modelSettingsFile, aiderModelSettings(MODEL));
    const invocation = aiderBackend({ openaiApiBase: server.baseUrl, modelMetadataFile, modelSettingsFile, files: ['hello.txt'] }).invocation({
      binary: AIDER,
      prompt: PROMPT,
      model: MODEL,
    });
    const started = Date.now();
    const child = spawnInvocation(invocation, { cwd: repo, env: { HOME: home, TMPDIR: tmp, OPENAI_API_KEY: 'sk-test-not-a-key' }, proxy });
    const lines: string[] = [];
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), idleMs);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        lines.push(...parts);
        touch();
      });
      stream.on('end', () => rest && lines.push(rest));
    }
    touch();
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(idle);
    return {
      lines,
      exitCode,
      ms: Date.now() - started,
      server,
      proxyLog: proxy.log,
      status: git('status', '--porcelain'),
      hello: fs.readFileSync(path.join(repo, 'hello.txt'), 'utf8'),
      tmpLeft: fs.readdirSync(tmp),
    };
  } finally {
    await server.close();
    await proxy.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

const usage = (promptTokens: number, completionTokens: number) => ({ promptTokens, completionTokens });

describe('aider backend: the real aider against a scripted model', () => {
  beforeAll(() => {
    if (!fs.existsSync(AIDER)) throw new Error(`${AIDER} is missing: run "node scripts/install-aider.mjs"`);
  });

  it('edits a file in the tree and reports tokens and cost (exit 0)', async () => {
    const run = await runAider([{ kind: 'text', content: EDIT, ...usage(1200, 40) }]);
    const outcome = backend.outcome(run.lines, run.exitCode);
    expect(outcome).toMatchObject({
      status: 'completed',
      usage: { inputTokens: 1200, outputTokens: 40, costUsd: 0.0042, costSource: 'reported', turns: 1 },
    });
    expect(run.hello).toBe('hello, aider\n');
    expect(run.status).toBe(' M hello.txt\n');
    expect(run.server.chatRequests).toHaveLength(1);
    expect(run.server.chatRequests[0]?.body).toMatchObject({ model: MODEL });
    expect(run.server.chatRequests[0]?.headers.authorization).toBe('Bearer sk-test-not-a-key');
    expect(run.server.requests).toHaveLength(1);
    expect(run.proxyLog).toEqual([]);
    expect(run.tmpLeft).toEqual([]);
  });

  it('retries a 429 itself (after one scripted 429 the run completes, exit 0)', async () => {
    const run = await runAider([
      { kind: 'error', status: 429, message: 'Rate limit reached', type: 'rate_limit_error' },
      { kind: 'text', content: EDIT, ...usage(1200, 40) },
    ]);
    expect(run.lines).toContain('litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached');
    expect(run.lines).toContain('Retrying in 0.2 seconds...');
    expect(backend.outcome(run.lines, run.exitCode)).toMatchObject({ status: 'completed' });
    expect(run.server.chatRequests).toHaveLength(2);
    expect(run.hello).toBe('hello, aider\n');
    expect(run.proxyLog).toEqual([]);
  });

  it('fails a 400 permanently with the message although aider exits 0', async () => {
    const run = await runAider([{ kind: 'error', status: 400, message: 'Invalid prompt: the scripted server refuses it, see https://example.invalid/docs' }]);
    expect(run.exitCode).toBe(0);
    expect(backend.outcome(run.lines, run.exitCode)).toMatchObject({
      status: 'failed',
      retryable: false,
      kind: 'api_error',
      error: 'aider: litellm.BadRequestError: OpenAIException - Invalid prompt: the scripted server refuses it, see https://example.invalid/docs',
    });
    expect(run.server.chatRequests).toHaveLength(1);
    expect(run.hello).toBe('hello\n');
    expect(run.status).toBe('');
    expect(run.proxyLog).toEqual([]);
  });

  it('is killed at the idle timeout when the model never answers', async () => {
    const run = await runAider([{ kind: 'silent' }], 8_000);
    expect(run.exitCode).toBeNull();
    expect(run.ms).toBeGreaterThanOrEqual(8_000);
    expect(run.server.chatRequests).toHaveLength(1);
    expect(backend.outcome(run.lines, run.exitCode)).toMatchObject({ status: 'failed', retryable: true, kind: 'process' });
    expect(run.hello).toBe('hello\n');
    expect(run.proxyLog).toEqual([]);
  });
});
