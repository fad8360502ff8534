/**
 * The `claude-code` CLI backend (issue 10 spike): its parser on output recorded from Claude Code
 * 2.1.332 (test/fixtures/cli/claude-code/), and the real CLI (the pinned `@anthropic-ai/claude-code`
 * devDependency, node_modules/.bin/claude) run headless in a temporary git repository with its own
 * HOME and TMPDIR against a scripted Anthropic API on 127.0.0.1, every proxy variable pointing at a
 * proxy that refuses and logs (its log must stay empty: the CLI calls nothing else).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnProcessGroup } from '../../../src/platform/process-group';
import { CLAUDE_CODE_QUIET_ENV, createClaudeCodeBackend, type ClaudeCodeOptions } from '../../../src/agents/cli/claude-code';
import type { CliOutcome, CliProgress, CliRequest } from '../../../src/agents/cli/contracts';
import { SCRIPTED_USAGE, startAnthropicServer, type AnthropicServer, type AnthropicStep } from '../../fixtures/model-servers/anthropic';
import { startRefusingProxy, type RefusingProxy } from '../../fixtures/model-servers/refusing-proxy';
import { isAlive } from '../../helpers/poll';

const BINARY = path.resolve(__dirname, '../../../node_modules/.bin/claude');
const FIXTURES = path.resolve(__dirname, '../../fixtures/cli/claude-code');
const RUNNING_AS_ROOT = process.getuid?.() === 0;
/** A key of the right shape; only the scripted server ever sees it. */
const TEST_KEY = 'sk-ant-api03-scripted-test-key';
const START: CliProgress = { lastEventType: null, toolCalls: 0, tokens: 0 };

/** The backend as the tests run it: no CLI retries unless a test asks for them. */
const backend = (options: Partial<ClaudeCodeOptions> = {}) => createClaudeCodeBackend({ runningAsRoot: RUNNING_AS_ROOT, maxRetries: 0, ...options });

const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
/** Line `index` of a fixture (failing when it has none). */
function fixtureLine(name: string, index: number): string {
  const line = fixture(name)[index];
  if (line === undefined) throw new Error(`${name} has no line ${index}`);
  return line;
}
const fold = (lines: string[]) => lines.reduce((progress, line) => backend().progress(progress, line), START);

/** A failed outcome's fields (a completed one fails the test). */
function failed(outcome: CliOutcome) {
  if (outcome.status !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('claude-code parser on recorded output', () => {
  it('reads a completed run: summary, tokens (cached part of input), reported cost, turns, session', () => {
    const lines = fixture('success.jsonl');
    expect(backend().outcome(lines, 0)).toEqual({
      status: 'completed',
      summary: 'Wrote hello.txt.',
      usage: {
        inputTokens: 240,
        outputTokens: 60,
        cachedTokens: 40,
        costUsd: 0.0020080000000000002,
        costSource: 'reported',
        turns: 2,
        sessionId: 'd32c48c9-f278-4a18-b5d2-a6a285cd2e5b',
      },
    });
    expect(fold(lines)).toEqual({ lastEventType: 'result/success', toolCalls: 1, tokens: 300 });
  });

  it('counts tool calls and running tokens event by event', () => {
    const [init, toolUse, toolResult] = [0, 1, 2].map((index) => fixtureLine('success.jsonl', index)) as [string, string, string];
    const afterInit = backend().progress(START, init);
    expect(afterInit).toEqual({ lastEventType: 'system/init', toolCalls: 0, tokens: 0 });
    const afterTool = backend().progress(afterInit, toolUse);
    expect(afterTool).toEqual({ lastEventType: 'assistant', toolCalls: 1, tokens: 121 });
    expect(backend().progress(afterTool, toolResult)).toEqual({ lastEventType: 'user', toolCalls: 1, tokens: 121 });
    expect(backend().progress(afterTool, 'not json')).toBe(afterTool);
  });

  it('counts a message written as several events (a text block, then a tool call) once', () => {
    const lines = fixture('text-write-bash.jsonl');
    const beforeResult = fold(lines.slice(0, -2));
    expect(beforeResult).toEqual({ lastEventType: 'assistant', toolCalls: 2, tokens: 3 * 121 });
    expect(fold(lines)).toEqual({ lastEventType: 'result/success', toolCalls: 2, tokens: 360 + 90 });
  });

  it.each([
    ['rate-limited-429.jsonl', 'rate_limited', true, 'API Error: Request rejected (429) · Scripted rate limit'],
    ['server-error-500.jsonl', 'api_error', true, 'API Error: 500 Scripted server error'],
    ['bad-request-400.jsonl', 'api_error', false, 'API Error: 400 Scripted bad request'],
    ['auth-401.jsonl', 'auth', false, 'Invalid API key'],
    ['connection-refused.jsonl', 'api_error', true, 'ECONNREFUSED'],
    ['max-turns.jsonl', 'max_turns', false, 'Reached maximum number of turns (1)'],
    ['max-budget.jsonl', 'max_budget', false, 'Reached maximum budget ($0.0005)'],
  ])('classifies %s by its result event (exit 1): %s, retryable %s', (name, kind, retryable, message) => {
    const outcome = failed(backend().outcome(fixture(name), 1));
    expect(outcome).toMatchObject({ kind, retryable });
    expect(outcome.error).toContain('claude-code: ');
    expect(outcome.error).toContain(message);
  });

  it('takes tokens from modelUsage when usage is all zeros (a run stopped by its budget)', () => {
    expect(failed(backend().outcome(fixture('max-budget.jsonl'), 1)).usage).toMatchObject({
      inputTokens: 120,
      outputTokens: 30,
      cachedTokens: 20,
      costUsd: 0.0010040000000000001,
      turns: 1,
    });
  });

  it('trusts is_error over the exit code and the subtype', () => {
    const lines = fixture('server-error-500.jsonl');
    const result = JSON.parse(lines.filter(Boolean).at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 500 });
    expect(failed(backend().outcome(lines, 0))).toMatchObject({ kind: 'api_error', retryable: true });
    const ok = fixture('success.jsonl');
    expect(backend().outcome(ok, 1).status).toBe('completed');
  });

  it('reads the CLI retrying a 429 itself as progress, then completes', () => {
    const lines = fixture('retried-429-then-success.jsonl');
    expect(backend().progress(START, fixtureLine('retried-429-then-success.jsonl', 1))).toMatchObject({ lastEventType: 'system/api_retry' });
    expect(backend().outcome(lines, 0)).toMatchObject({ status: 'completed', summary: 'ok after 429' });
  });

  it('fails without a result event: killed is retryable, an exit is permanent naming what it said', () => {
    for (const exitCode of [null, 128 + 15, 128 + 9]) {
      expect(failed(backend().outcome([fixtureLine('success.jsonl', 0)], exitCode))).toMatchObject({
        kind: 'process',
        retryable: true,
        usage: { sessionId: 'd32c48c9-f278-4a18-b5d2-a6a285cd2e5b' },
      });
    }
    const stderr = readFileSync(path.join(FIXTURES, 'root-refused.stderr.txt'), 'utf8').trim();
    const refused = failed(backend().outcome([stderr], 1));
    expect(refused).toMatchObject({ kind: 'process', retryable: false });
    expect(refused.error).toBe(`claude-code exited 1 without a result event (0 JSON events): ${stderr}`);
    expect(failed(backend().outcome([], 0))).toMatchObject({ kind: 'protocol', retryable: false });
  });

  it('names what a malformed result event lacks', () => {
    const outcome = failed(backend().outcome(['{"type":"result","subtype":"success","is_error":false}'], 0));
    expect(outcome).toMatchObject({ kind: 'protocol', retryable: false });
    expect(outcome.error).toBe('claude-code result event lacks num_turns (number), session_id (string)');
  });
});

describe('claude-code invocation', () => {
  it('builds the argv (no shell) and the quiet environment', () => {
    const request: CliRequest = {
      binary: '/opt/claude',
      prompt: 'Fix the bug; then "stop"',
      model: 'claude-sonnet-4-5',
      maxTurns: 12,
      budgetUsd: 0.5,
      resumeSessionId: 'abc',
      extraArgs: ['--append-system-prompt', 'Be brief.'],
    };
    expect(createClaudeCodeBackend({ runningAsRoot: true, maxRetries: 2 }).invocation(request)).toEqual({
      command: '/opt/claude',
      args: [
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        'bypassPermissions',
        '--model',
        'claude-sonnet-4-5',
        '--max-turns',
        '12',
        '--max-budget-usd',
        '0.5',
        '--resume',
        'abc',
        '--append-system-prompt',
        'Be brief.',
      ],
      env: {
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1',
        IS_SANDBOX: '1',
        CLAUDE_CODE_MAX_RETRIES: '2',
      },
      stdin: 'Fix the bug; then "stop"',
    });
    expect(createClaudeCodeBackend({ runningAsRoot: false }).invocation({ binary: 'claude', prompt: 'p' }).env).toEqual({
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
    });
  });
});

describe('claude-code end to end (real CLI, scripted model)', () => {
  let server: AnthropicServer;
  let proxy: RefusingProxy;
  let root: string;
  let repo: string;
  let home: string;

  beforeAll(async () => {
    server = await startAnthropicServer();
    proxy = await startRefusingProxy();
  });
  afterAll(async () => {
    await server.close();
    await proxy.close();
  });

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'claude-code-test-'));
    repo = path.join(root, 'repo');
    home = path.join(root, 'home');
    mkdirSync(repo);
    mkdirSync(home);
    mkdirSync(path.join(root, 'tmp'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], { cwd: repo });
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(repo, 'README.md'), '# example\n');
    git('add', '.');
    git('commit', '-q', '-m', 'initial');
    server.requests.length = 0;
  });
  afterEach(() => {
    expect(proxy.log).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  /** What one run of the CLI produced. */
  interface Run {
    lines: string[];
    stderr: string;
    exitCode: number | null;
    /** Progress after each stdout line. */
    progress: CliProgress[];
    /** Whether the test stopped the group because no line came for `idleTimeoutMs`. */
    idleKilled: boolean;
    pid: number;
    ms: number;
    outcome: CliOutcome;
  }

  /**
   * Runs the CLI on `steps` as the runner would: the backend's argv and env over a minimal
   * environment (PATH, HOME, TMPDIR, the API variables, the refusing proxy), its own process group,
   * and an idle timeout that stops the whole group when stdout stays quiet.
   */
  async function run(
    steps: AnthropicStep[],
    request: Partial<CliRequest> = {},
    options: { backend?: Partial<ClaudeCodeOptions>; idleTimeoutMs?: number; withoutQuietEnv?: boolean } = {},
  ): Promise<Run> {
    server.script(steps);
    const cli = backend(options.backend);
    const invocation = cli.invocation({ binary: BINARY, prompt: 'Create hello.txt saying hello.', ...request });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TMPDIR: path.join(root, 'tmp'),
      ANTHROPIC_BASE_URL: server.baseUrl,
      ANTHROPIC_API_KEY: TEST_KEY,
      ...proxy.env(),
      ...invocation.env,
    };
    if (options.withoutQuietEnv) for (const name of Object.keys(CLAUDE_CODE_QUIET_ENV)) delete env[name];
    const started = Date.now();
    const group = spawnProcessGroup(invocation.command, invocation.args, { cwd: repo, env, signal: new AbortController().signal, killGraceMs: 1000 });
    group.child.stdin.end(invocation.stdin);
    const lines: string[] = [];
    const progress: CliProgress[] = [];
    let stderr = '';
    let buffered = '';
    let idleKilled = false;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleKilled = true;
        group.stop();
      }, options.idleTimeoutMs ?? 30_000);
    };
    armIdle();
    group.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      armIdle();
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        progress.push(cli.progress(progress.at(-1) ?? START, line));
      }
    });
    group.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exitCode = await new Promise<number | null>((resolve) => group.child.on('close', (code) => resolve(code)));
    clearTimeout(idle);
    group.release();
    if (buffered !== '') lines.push(buffered);
    // The contract: a run the runner killed is read with exit code null, whatever the CLI exited with.
    const outcome = cli.outcome(lines, idleKilled ? null : exitCode);
    return { lines, stderr, exitCode, progress, idleKilled, pid: group.child.pid ?? 0, ms: Date.now() - started, outcome };
  }

  const writeHello = (): Extract<AnthropicStep, { kind: 'tool_use' }> => ({
    kind: 'tool_use',
    name: 'Write',
    input: { file_path: path.join(repo, 'hello.txt'), content: 'hello\n' },
  });
  const finalText: AnthropicStep = { kind: 'text', text: 'Created hello.txt.' };
  const messagesCalls = () => server.requests.map((request) => `${request.method} ${request.url}`);

  it('edits a file in the tree through a Write tool call and completes with usage (1)', async () => {
    const result = await run([writeHello(), finalText], { model: 'claude-sonnet-4-5' });
    expect(result.exitCode).toBe(0);
    expect(result.outcome).toEqual({
      status: 'completed',
      summary: 'Created hello.txt.',
      usage: {
        inputTokens: 2 * (SCRIPTED_USAGE.inputTokens + SCRIPTED_USAGE.cacheReadTokens),
        outputTokens: 2 * SCRIPTED_USAGE.outputTokens,
        cachedTokens: 2 * SCRIPTED_USAGE.cacheReadTokens,
        costUsd: expect.any(Number),
        costSource: 'reported',
        turns: 2,
        sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
    expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hello\n');
    // The agent does not commit: the orchestrator does.
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' })).toBe('?? hello.txt\n');
    expect(messagesCalls()).toEqual(['POST /v1/messages?beta=true', 'POST /v1/messages?beta=true']);
    expect(server.requests[0]?.headers['x-api-key']).toBe(TEST_KEY);
    expect(server.requests[0]?.body).toMatchObject({ model: 'claude-sonnet-4-5', stream: true });
    expect(result.progress.at(-1)).toEqual({ lastEventType: 'result/success', toolCalls: 1, tokens: 300 });
    expect(result.progress.map((p) => p.lastEventType)).toEqual(['system/init', 'assistant', 'user', 'assistant', 'result/success']);
    // The CLI keeps its state in HOME (~/.claude: sessions, for --resume) and its scratch files in
    // TMPDIR (claude-0/, cc-socks/): both under `root`, removed afterwards. Without TMPDIR they land in /tmp.
    expect(readdirSync(home)).toContain('.claude');
    expect(readdirSync(path.join(root, 'tmp'))).toEqual(expect.arrayContaining(['claude-0', 'cc-socks']));
  });

  it('takes a prompt over 128 KiB starting with "-" on stdin, and runs Bash and text-then-tool messages', async () => {
    const prompt = `- Create hello.txt and bash.txt.\n${'context '.repeat(20_000)}`;
    const result = await run(
      [
        { ...writeHello(), text: 'Writing hello.txt first.' },
        { kind: 'tool_use', name: 'Bash', input: { command: "printf 'from bash\\n' > bash.txt", description: 'Write bash.txt' } },
        finalText,
      ],
      { prompt },
    );
    expect(result.outcome).toMatchObject({ status: 'completed', usage: { turns: 3 } });
    expect(readFileSync(path.join(repo, 'bash.txt'), 'utf8')).toBe('from bash\n');
    expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(JSON.stringify(server.requests[0]?.body)).toContain(JSON.stringify(prompt).slice(1, -1));
    expect(result.progress.at(-2)).toEqual({ lastEventType: 'assistant', toolCalls: 2, tokens: 3 * 121 });
    expect(result.lines.some((line) => line.includes(TEST_KEY))).toBe(false);
  });

  it('calls api.anthropic.com through the proxy without the quiet variables (the proxy catches it)', async () => {
    const result = await run([finalText], {}, { withoutQuietEnv: true });
    expect(result.outcome.status).toBe('completed');
    expect(proxy.log.length).toBeGreaterThan(0);
    expect(proxy.log).toContainEqual({ method: 'CONNECT', target: 'api.anthropic.com:443' });
    proxy.log.length = 0;
  });

  it('fails a 429 as retryable with CLI retries off, and the retry resumes the session (2)', async () => {
    const limited = await run([{ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Scripted rate limit' }]);
    expect(limited.exitCode).toBe(1);
    const failure = failed(limited.outcome);
    expect(failure).toMatchObject({ kind: 'rate_limited', retryable: true, error: 'claude-code: API Error: Request rejected (429) · Scripted rate limit' });
    expect(messagesCalls()).toHaveLength(1);

    server.requests.length = 0;
    const retried = await run([writeHello(), finalText], { resumeSessionId: failure.usage.sessionId! });
    expect(retried.outcome).toMatchObject({ status: 'completed', usage: { sessionId: failure.usage.sessionId, turns: 2 } });
    expect(existsSync(path.join(repo, 'hello.txt'))).toBe(true);
    // The resumed conversation carries the first attempt's prompt.
    const { messages } = server.requests[0]?.body as { messages: { role: string; content: unknown }[] };
    expect(JSON.stringify(messages).split('Create hello.txt saying hello.').length - 1).toBeGreaterThanOrEqual(2);
  });

  it('lets the CLI retry a 429 itself when CLAUDE_CODE_MAX_RETRIES allows, reporting api_retry events (2b)', async () => {
    const result = await run(
      [{ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Scripted rate limit' }, finalText],
      {},
      { backend: { maxRetries: 1 } },
    );
    expect(result.outcome).toMatchObject({ status: 'completed', summary: 'Created hello.txt.', usage: { turns: 1 } });
    expect(result.progress.map((p) => p.lastEventType)).toContain('system/api_retry');
    expect(messagesCalls()).toHaveLength(2);
  });

  it('fails a 400 permanently with the CLI message, after its own beta-header fallbacks (3)', async () => {
    const badRequest: AnthropicStep = { kind: 'error', status: 400, type: 'invalid_request_error', message: 'Scripted bad request' };
    const result = await run(Array.from({ length: 8 }, () => badRequest));
    expect(result.exitCode).toBe(1);
    expect(failed(result.outcome)).toMatchObject({ kind: 'api_error', retryable: false, error: 'claude-code: API Error: 400 Scripted bad request' });
    // Claude Code answers a 400 by resending without some beta features (6 requests in 2.1.332),
    // whatever CLAUDE_CODE_MAX_RETRIES says; the script must cover them all.
    expect(server.requests.length).toBeGreaterThan(1);
    expect(server.remaining()).toBeGreaterThan(0);
  });

  it('classifies exit 1 with subtype "success" by is_error: a 500 is retryable (is_error case)', async () => {
    const result = await run([{ kind: 'error', status: 500, type: 'api_error', message: 'Scripted server error' }]);
    expect(result.exitCode).toBe(1);
    const last = JSON.parse(result.lines.filter(Boolean).at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'result', subtype: 'success', is_error: true, api_error_status: 500 });
    expect(failed(result.outcome)).toMatchObject({ kind: 'api_error', retryable: true });
  });

  it('is killed, with its whole process group, when the stream goes silent (4)', async () => {
    const result = await run([{ kind: 'silent' }], {}, { idleTimeoutMs: 5000 });
    expect(result.idleKilled).toBe(true);
    // Claude Code 2.1.332 gives up on a silent stream only after 300 s (its stream watchdog, then
    // one non-streaming retry; API_TIMEOUT_MS=5000 does not shorten it); on SIGTERM it exits 143 at
    // once, writing no result event.
    expect(result.exitCode).toBe(128 + 15);
    expect(result.ms).toBeLessThan(5000 + 1000);
    expect(failed(backend().outcome(result.lines, result.exitCode))).toMatchObject({ kind: 'process', retryable: true });
    expect(result.progress.map((p) => p.lastEventType)).toEqual(['system/init']);
    expect(failed(result.outcome)).toMatchObject({ kind: 'process', retryable: true });
    expect(isAlive(result.pid)).toBe(false);
  });

  it('stops at --max-turns as a permanent failure', async () => {
    const result = await run([writeHello(), writeHello(), finalText], { maxTurns: 1 });
    expect(failed(result.outcome)).toMatchObject({ kind: 'max_turns', retryable: false, error: 'claude-code: Reached maximum number of turns (1)' });
    expect(result.outcome.usage).toMatchObject({ turns: 2, costSource: 'reported' });
  });

  it('stops at --max-budget-usd as a permanent failure, with the spent tokens', async () => {
    const result = await run([writeHello(), finalText], { budgetUsd: 0.0005 });
    expect(failed(result.outcome)).toMatchObject({ kind: 'max_budget', retryable: false, error: 'claude-code: Reached maximum budget ($0.0005)' });
    expect(result.outcome.usage).toMatchObject({ inputTokens: 120, outputTokens: 30, cachedTokens: 20 });
  });

  (RUNNING_AS_ROOT ? it : it.skip)('as root refuses bypassPermissions without IS_SANDBOX: a permanent process failure', async () => {
    const result = await run([finalText], {}, { backend: { runningAsRoot: false } });
    expect(result.exitCode).toBe(1);
    expect(result.lines.filter(Boolean)).toEqual([]);
    const failure = failed(backend().outcome([result.stderr.trim()], result.exitCode));
    expect(failure).toMatchObject({ kind: 'process', retryable: false });
    expect(failure.error).toContain('--dangerously-skip-permissions cannot be used with root/sudo privileges');
    expect(server.requests).toEqual([]);
  });
});
