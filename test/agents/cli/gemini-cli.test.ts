/**
 * The Gemini CLI backend: its parser on recorded output (test/fixtures/cli/gemini-cli/, captured from
 * the real CLI 0.61.0 against the scripted server), and the real CLI end to end, spawned in a temp git
 * repository with its own HOME and TMPDIR against the scripted Gemini server, behind a proxy that
 * refuses and logs everything (its log must stay empty: nothing calls out).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GEMINI_SETTINGS_PATH, geminiCliBackend, geminiSettings, type GeminiSettingsOptions } from '../../../src/agents/cli/gemini-cli';
import type { CliOutcome, CliProgress } from '../../../src/agents/cli/contracts';
import { startGeminiServer, type GeminiReply, type GeminiServer } from '../../fixtures/model-servers/gemini';
import { startRefusingProxy, type RefusingProxy } from '../../fixtures/model-servers/refusing-proxy';
import { runInvocation, type InvocationRun } from '../../helpers/cli-spawn';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const GEMINI = path.join(ROOT, 'node_modules', '.bin', 'gemini');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cli', 'gemini-cli');
const MODEL = 'gemini-2.5-pro';

const fixture = (name: string): string[] => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').filter(Boolean);
const start: CliProgress = { lastEventType: null, toolCalls: 0, tokens: 0 };

describe('gemini-cli backend: invocation and settings', () => {
  it('builds the headless command line, always with -m, and a resume', () => {
    const invocation = geminiCliBackend.invocation({ binary: '/bin/gemini', prompt: 'Do it', extraArgs: ['--debug'], resumeSessionId: 'abc' });
    expect(invocation.command).toBe('/bin/gemini');
    expect(invocation.args).toEqual([
      '-p',
      'Do it',
      '--output-format',
      'stream-json',
      '--yolo',
      '--skip-trust',
      '-m',
      'gemini-2.5-pro',
      '--resume',
      'abc',
      '--debug',
    ]);
    expect(invocation.stdin).toBeUndefined();
    expect(invocation.env).toEqual({ GEMINI_TELEMETRY_ENABLED: 'false', GEMINI_CLI_NO_RELAUNCH: 'true', NO_COLOR: '1' });
    expect(geminiCliBackend.invocation({ binary: 'gemini', prompt: 'p', model: 'gemini-2.5-flash' }).args).toContain('gemini-2.5-flash');
  });

  it('produces the settings file: API-key auth, no statistics, telemetry or auto-update, the turn limit and the attempts', () => {
    expect(geminiSettings({})).toEqual({
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    });
    expect(geminiSettings({ maxTurns: 7 }, { maxAttempts: 1 })).toMatchObject({ general: { maxAttempts: 1 }, model: { maxSessionTurns: 7 } });
  });
});

describe('gemini-cli backend: parser on recorded output', () => {
  it('reads a success: completed, the assistant text, tokens, turns and the session; progress per event', () => {
    const lines = fixture('success.jsonl');
    const outcome = geminiCliBackend.outcome(lines, 0);
    expect(outcome).toEqual({
      status: 'completed',
      summary: 'Wrote hello.txt.',
      usage: { inputTokens: 200, outputTokens: 40, cachedTokens: 0, costUsd: null, costSource: null, turns: 2, sessionId: expect.any(String) as string },
    });
    const progress = lines.reduce((acc, line) => geminiCliBackend.progress(acc, line), start);
    expect(progress).toEqual({ lastEventType: 'result', toolCalls: 1, tokens: 240 });
    expect(geminiCliBackend.progress(start, 'not json')).toBe(start);
  });

  it('classifies API failures by the status in the message or the exit code (status modulo 256)', () => {
    expect(geminiCliBackend.outcome(fixture('api-400.jsonl'), 144)).toMatchObject({
      status: 'failed',
      retryable: false,
      kind: 'api_error',
      error: expect.stringContaining('Invalid JSON payload received.') as string,
    });
    expect(geminiCliBackend.outcome(fixture('api-429.jsonl'), 173)).toMatchObject({
      status: 'failed',
      retryable: true,
      kind: 'rate_limited',
      error: expect.stringContaining('Resource has been exhausted') as string,
      usage: { sessionId: null },
    });
    expect(geminiCliBackend.outcome(fixture('api-500.jsonl'), 244)).toMatchObject({ status: 'failed', retryable: true, kind: 'api_error' });
    expect(geminiCliBackend.outcome(fixture('network-down.jsonl'), 1)).toMatchObject({
      retryable: true,
      kind: 'api_error',
      error: expect.stringContaining('fetch failed') as string,
    });
  });

  it('classifies the turn limit, auth and bad input, a kill and a broken stream', () => {
    const turns = geminiCliBackend.outcome(fixture('max-turns.jsonl'), 53);
    expect(turns).toMatchObject({ status: 'failed', retryable: false, kind: 'max_turns', usage: { inputTokens: 100, outputTokens: 20, turns: 1 } });
    expect(geminiCliBackend.outcome(fixture('bad-input.jsonl'), 42)).toMatchObject({
      retryable: false,
      kind: 'usage',
      error: expect.stringContaining('non-interactive') as string,
    });
    expect(geminiCliBackend.outcome([], 54)).toMatchObject({ retryable: false, kind: 'process' });
    expect(geminiCliBackend.outcome([], 130)).toMatchObject({ retryable: true, kind: 'process' });
    expect(geminiCliBackend.outcome([], 1)).toMatchObject({ retryable: true, kind: 'process' });
    const auth = geminiCliBackend.outcome(['When using Gemini API, you must specify the GEMINI_API_KEY environment variable.'], 41);
    expect(auth).toMatchObject({ retryable: false, kind: 'auth', error: expect.stringContaining('GEMINI_API_KEY') as string });
    expect(geminiCliBackend.outcome([], 42)).toMatchObject({ retryable: false, kind: 'usage' });
    expect(geminiCliBackend.outcome(fixture('idle.jsonl'), null)).toMatchObject({
      retryable: true,
      kind: 'process',
      usage: { sessionId: expect.any(String) as string },
    });
    expect(geminiCliBackend.outcome(fixture('success.jsonl').slice(0, -1), 0)).toMatchObject({
      retryable: false,
      kind: 'protocol',
      error: expect.stringContaining('gemini-cli') as string,
    });
    expect(geminiCliBackend.outcome(fixture('success.jsonl'), 1)).toMatchObject({ retryable: false, kind: 'protocol' });
    expect(geminiCliBackend.outcome(['{"type":"result","status":"odd"}'], 0)).toMatchObject({ kind: 'protocol' });
  });
});

interface RunOptions {
  settings?: GeminiSettingsOptions;
  /** Written as the settings file instead of the backend's. */
  rawSettings?: Record<string, unknown>;
  maxTurns?: number;
  /** false: no GEMINI_API_KEY in the environment. */
  key?: boolean;
  /** Kill the process group after this long without an output line. */
  idleMs?: number;
  prompt?: string;
  /** Close the scripted server before the run: the endpoint is unreachable. */
  serverDown?: boolean;
  /** Reuse this HOME (a resume) instead of a fresh one. */
  home?: string;
  resume?: string;
}

interface Run extends InvocationRun {
  outcome: CliOutcome;
  /** Files the CLI left in the run's TMPDIR. */
  tmpFiles: string[];
  home: string;
}

describe('gemini-cli backend: the real CLI against the scripted server', () => {
  let dir: string;
  let repo: string;
  let proxy: RefusingProxy;
  let server: GeminiServer | undefined;

  beforeAll(async () => {
    proxy = await startRefusingProxy();
  });
  afterAll(async () => {
    await proxy.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gemini-cli-test-'));
    repo = path.join(dir, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(path.join(repo, 'README.md'), 'old\n');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
    expect(proxy.log).toEqual([]);
  });

  /**
   * Runs the CLI as the runner would: the backend's argv and env, the allow-listed key and endpoint,
   * its own HOME (with the settings file) and TMPDIR; kills the process group after `idleMs` without a line.
   */
  async function run(replies: GeminiReply[], options: RunOptions = {}): Promise<Run> {
    server = await startGeminiServer(replies);
    if (options.serverDown) await server.close();
    const home = options.home ?? mkdtempSync(path.join(dir, 'home-'));
    const tmp = mkdtempSync(path.join(dir, 'tmp-'));
    mkdirSync(path.join(home, path.dirname(GEMINI_SETTINGS_PATH)), { recursive: true });
    const settings = options.rawSettings ?? geminiSettings({ maxTurns: options.maxTurns }, options.settings);
    writeFileSync(path.join(home, GEMINI_SETTINGS_PATH), JSON.stringify(settings));
    const invocation = geminiCliBackend.invocation({
      binary: GEMINI,
      prompt: options.prompt ?? 'Replace README.md with "new".',
      model: MODEL,
      resumeSessionId: options.resume,
    });
    const result = await runInvocation(invocation, geminiCliBackend, {
      cwd: repo,
      env: { HOME: home, TMPDIR: tmp, ...(options.key === false ? {} : { GEMINI_API_KEY: 'test-key' }), GOOGLE_GEMINI_BASE_URL: server.baseUrl },
      proxy,
      idleMs: options.idleMs,
    });
    const lines = result.lines.filter(Boolean);
    const outcomeLines = lines.length > 0 ? lines : result.stderr.split('\n');
    return { ...result, lines, home, outcome: geminiCliBackend.outcome(outcomeLines, result.exitCode), tmpFiles: readdirSync(tmp) };
  }

  const writeReadme: GeminiReply = {
    kind: 'functionCall',
    name: 'write_file',
    args: { file_path: 'README.md', content: 'new\n' },
    usage: { promptTokenCount: 1200, candidatesTokenCount: 30, cachedContentTokenCount: 200 },
  };
  const done: GeminiReply = { kind: 'text', text: 'README.md now says new.', usage: { promptTokenCount: 1300, candidatesTokenCount: 10 } };

  it('edits a file in the working tree: completed, the file changed, usage recorded, only the scripted calls made', async () => {
    const result = await run([writeReadme, done]);
    expect(result.exitCode).toBe(0);
    expect(result.outcome).toEqual({
      status: 'completed',
      summary: 'README.md now says new.',
      usage: { inputTokens: 2500, outputTokens: 40, cachedTokens: 200, costUsd: null, costSource: null, turns: 2, sessionId: expect.any(String) as string },
    });
    expect(result.progress).toEqual({ lastEventType: 'result', toolCalls: 1, tokens: 2540 });
    expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('new\n');
    expect(server?.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
      `POST /v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
    ]);
    expect(server?.requests[0]?.apiKey).toBe('test-key');
    expect(result.tmpFiles).toEqual([]);
  });

  it('429 with the CLI retries off (general.maxAttempts 1): a retryable failure without a session to resume, and the next attempt completes', async () => {
    const first = await run([{ kind: 'error', status: 429, message: 'Resource has been exhausted (e.g. check quota).' }], { settings: { maxAttempts: 1 } });
    expect(first.exitCode).toBe(173);
    expect(first.outcome).toMatchObject({
      status: 'failed',
      retryable: true,
      kind: 'rate_limited',
      error: expect.stringContaining('Resource has been exhausted') as string,
      usage: { sessionId: null },
    });
    expect(first.tmpFiles).toEqual([expect.stringMatching(/^gemini-client-error-.*\.json$/)]);
    await server?.close();
    // Why no session: the CLI rolled the failed first turn out of it, and a resume of the `init` event's session finds nothing.
    const announced = (JSON.parse(first.lines[0] ?? '{}') as { session_id?: string }).session_id;
    const resumed = await run([done], { home: first.home, resume: announced, settings: { maxAttempts: 1 } });
    expect(resumed.exitCode).toBe(42);
    expect(resumed.outcome).toMatchObject({ retryable: false, kind: 'usage', error: expect.stringContaining('No previous sessions found') as string });
    await server?.close();
    const second = await run([done], { settings: { maxAttempts: 1 } });
    expect(second.outcome.status).toBe('completed');
  });

  it('429 with the CLI default retries: the CLI retries itself after ~5 s and completes', async () => {
    const result = await run([{ kind: 'error', status: 429, message: 'Resource has been exhausted (e.g. check quota).' }, done]);
    expect(result.exitCode).toBe(0);
    expect(result.outcome.status).toBe('completed');
    expect(server?.requests).toHaveLength(2);
    expect(result.ms).toBeGreaterThan(3000); // 5 s ± 30 % jitter
  });

  it('400: a permanent failure with the API message, exit 144, the client error report in TMPDIR', async () => {
    const result = await run([{ kind: 'error', status: 400, message: 'Invalid JSON payload received.' }], { settings: { maxAttempts: 1 } });
    expect(result.exitCode).toBe(144);
    expect(result.outcome).toMatchObject({
      status: 'failed',
      retryable: false,
      kind: 'api_error',
      error: expect.stringContaining('Invalid JSON payload received.') as string,
    });
    expect(result.tmpFiles).toEqual([expect.stringMatching(/^gemini-client-error-.*\.json$/)]);
  });

  it('500 with retries off: retryable, exit 244', async () => {
    const result = await run([{ kind: 'error', status: 500, message: 'Internal error.' }], { settings: { maxAttempts: 1 } });
    expect(result.exitCode).toBe(244);
    expect(result.outcome).toMatchObject({ status: 'failed', retryable: true, kind: 'api_error' });
  });

  it('a stream that goes silent: the CLI waits (no timeout of its own), the idle timeout kills the group, retryable', async () => {
    const result = await run([{ kind: 'hang' }], { idleMs: 5000 });
    expect(result.exitCode).toBeNull();
    expect(result.lines.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['init', 'message']);
    expect(result.outcome).toMatchObject({ status: 'failed', retryable: true, kind: 'process' });
    expect(result.progress.lastEventType).toBe('message');
  });

  it('the turn limit (model.maxSessionTurns): exit 53, permanent max_turns, with the usage so far', async () => {
    const result = await run([writeReadme, done], { maxTurns: 1 });
    expect(result.exitCode).toBe(53);
    expect(result.outcome).toMatchObject({ status: 'failed', retryable: false, kind: 'max_turns', usage: { inputTokens: 1200, outputTokens: 30, turns: 1 } });
  });

  it('no API key: exit 41 before any call, nothing on stdout, a permanent auth failure from stderr', async () => {
    const result = await run([done], { key: false });
    expect(result.exitCode).toBe(41);
    expect(result.lines).toEqual([]);
    expect(server?.requests).toEqual([]);
    expect(result.outcome).toMatchObject({ status: 'failed', retryable: false, kind: 'auth', error: expect.stringContaining('GEMINI_API_KEY') as string });
  });

  it('an unreachable endpoint with retries off: exit 1, "fetch failed", retryable', async () => {
    const result = await run([], { serverDown: true, settings: { maxAttempts: 1 } });
    expect(result.exitCode).toBe(1);
    expect(result.outcome).toMatchObject({ status: 'failed', retryable: true, kind: 'api_error', error: expect.stringContaining('fetch failed') as string });
  });

  it('a prompt starting with "/" is a slash command: /quit exits 42, a permanent usage failure, no model call', async () => {
    const result = await run([done], { prompt: '/quit' });
    expect(result.exitCode).toBe(42);
    expect(result.outcome).toMatchObject({
      status: 'failed',
      retryable: false,
      kind: 'usage',
      error: expect.stringContaining('not supported in non-interactive mode') as string,
    });
    expect(server?.requests).toEqual([]);
  });

  it('a retry resumes the session (--resume <session_id>) when it runs with the same HOME: the history is sent again', async () => {
    const first = await run([writeReadme, { kind: 'error', status: 500, message: 'Internal error.' }], { settings: { maxAttempts: 1 } });
    expect(first.outcome).toMatchObject({ status: 'failed', retryable: true, usage: { sessionId: expect.any(String) as string, inputTokens: 1200 } });
    const sessionId = first.outcome.usage.sessionId ?? '';
    await server?.close();
    const second = await run([done], { home: first.home, resume: sessionId, prompt: 'Continue.' });
    expect(second.outcome).toMatchObject({ status: 'completed', usage: { sessionId } });
    const body = JSON.stringify(server?.requests[0]?.body);
    expect(body).toContain('write_file');
    expect(body).toContain('Continue.');
  });

  it('with the CLI default settings it phones home through the proxy (so the empty log of the other runs means something)', async () => {
    await run([writeReadme, done], { rawSettings: { security: { auth: { selectedType: 'gemini-api-key' } } } });
    expect(proxy.log.some((entry) => entry.method === 'CONNECT' && entry.target.startsWith('play.googleapis.com'))).toBe(true);
    proxy.log.length = 0;
  });

  it('leaves nothing named gemini in the system temp directory', () => {
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('gemini-client-error'))).toEqual([]);
  });
});
