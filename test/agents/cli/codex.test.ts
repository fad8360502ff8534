/**
 * The Codex CLI backend: the parser on recorded Codex 0.171.0 output (test/fixtures/cli/codex/),
 * then the real `codex` binary from node_modules/.bin run headless in a temp git repository with its
 * own HOME, TMPDIR and CODEX_HOME against the scripted Responses server, behind a refusing proxy
 * whose log must stay empty.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyCodexError, codexBackend, codexScratchEnv, type CodexProvider } from '../../../src/agents/cli/codex';
import type { CliOutcome, CliProgress } from '../../../src/agents/cli/contracts';
import { ResponsesServer, type ResponsesStep } from '../../fixtures/model-servers/openai-responses';
import { startRefusingProxy, type RefusingProxy } from '../../fixtures/model-servers/refusing-proxy';
import { runInvocation, spawnInvocation, type InvocationRun } from '../../helpers/cli-spawn';

const FIXTURES = path.join(__dirname, '../../fixtures/cli/codex');
const CODEX = path.join(__dirname, '../../../node_modules/.bin/codex');
const MODEL = 'gpt-5.5';
/** Codex's daemon rendezvous: a literal /tmp path whatever TMPDIR says. */
const DAEMON_DIR = `/tmp/codex-daemon-${process.getuid?.() ?? 0}`;

const lines = (name: string): string[] =>
  fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
const START: CliProgress = { lastEventType: null, toolCalls: 0, tokens: 0 };

describe('codex backend: invocation', () => {
  it('builds codex exec with the local provider, the model, extra args, and the prompt on stdin', () => {
    const backend = codexBackend({ provider: { baseUrl: 'http://127.0.0.1:1234/v1', envKey: 'LOCAL_KEY' } });
    const invocation = backend.invocation({
      binary: '/bin/codex',
      prompt: '-starts with a dash',
      model: MODEL,
      maxTurns: 5,
      budgetUsd: 1,
      extraArgs: ['--color', 'never'],
    });
    expect(invocation).toEqual({
      command: '/bin/codex',
      args: [
        'exec',
        '--json',
        '--skip-git-repo-check',
        '--sandbox',
        'workspace-write',
        '--disable',
        'plugins',
        '-c',
        'analytics.enabled=false',
        '-c',
        'model_provider=local',
        '-c',
        'model_providers.local={name="local",base_url="http://127.0.0.1:1234/v1",wire_api="responses",env_key="LOCAL_KEY",request_max_retries=0,stream_max_retries=0}',
        '-m',
        MODEL,
        '--color',
        'never',
        '-',
      ],
      env: { NO_COLOR: '1' },
      stdin: '-starts with a dash',
    });
  });

  it('resumes a session with exec resume and uses the default provider without options', () => {
    const { args } = codexBackend().invocation({ binary: 'codex', prompt: 'go on', resumeSessionId: 'abc' });
    expect(args.slice(-3)).toEqual(['resume', 'abc', '-']);
    expect(args).not.toContain('model_provider=local');
  });

  it('puts the per-run directories under the scratch directory', () => {
    expect(codexScratchEnv('/scratch/run-1/')).toEqual({
      HOME: '/scratch/run-1/home',
      TMPDIR: '/scratch/run-1/tmp',
      CODEX_HOME: '/scratch/run-1/codex-home',
    });
  });
});

describe('codex backend: recorded output', () => {
  const backend = codexBackend();

  it('reads a completed exec_command run: summary, tokens, turns, thread id, progress', () => {
    const recorded = lines('exec-command.jsonl');
    expect(backend.outcome(recorded, 0)).toEqual({
      status: 'completed',
      summary: 'Wrote hello.txt.',
      usage: {
        inputTokens: 2000,
        outputTokens: 100,
        cachedTokens: 400,
        costUsd: null,
        costSource: null,
        turns: 1,
        sessionId: '01a22867-822f-7190-ac21-1bdad9560487',
      },
    });
    expect(recorded.reduce((p, line) => backend.progress(p, line), START)).toEqual({
      lastEventType: 'turn.completed',
      toolCalls: 1,
      tokens: 2100,
    });
  });

  it('counts an apply_patch file_change as a tool call', () => {
    const recorded = lines('apply-patch.jsonl');
    expect(backend.progress(START, recorded[2]!).lastEventType).toBe('item.started:file_change');
    expect(recorded.reduce((p, line) => backend.progress(p, line), START).toolCalls).toBe(1);
    expect(backend.outcome(recorded, 0).status).toBe('completed');
  });

  it('keeps an unknown model slug (an error item) a completed run', () => {
    expect(backend.outcome(lines('unknown-model.jsonl'), 0)).toMatchObject({ status: 'completed', summary: 'hi' });
  });

  it.each([
    ['http-400.jsonl', 'api_error', false, 'codex: invalid_request_error: Invalid model request: bad things'],
    ['http-401.jsonl', 'auth', false, 'unexpected status 401 Unauthorized'],
    ['http-429.jsonl', 'rate_limited', true, 'last status: 429 Too Many Requests'],
    ['http-429-quota.jsonl', 'rate_limited', false, 'Quota exceeded'],
    ['http-500.jsonl', 'api_error', true, 'high demand'],
    ['http-503.jsonl', 'api_error', true, 'unexpected status 503'],
    ['stream-idle-timeout.jsonl', 'api_error', true, 'idle timeout waiting for SSE'],
  ])('classifies %s (exit 1, turn.failed) as %s, retryable %s', (file, kind, retryable, message) => {
    const outcome = backend.outcome(lines(file), 1);
    expect(outcome).toMatchObject({ status: 'failed', kind, retryable });
    expect(outcome.status === 'failed' && outcome.error).toContain(message);
    expect(outcome.status === 'failed' && outcome.error).toMatch(/^codex: /);
    expect(outcome.usage.sessionId).not.toBeNull();
  });

  it('reads a retried 503 that completed as completed', () => {
    expect(backend.outcome(lines('http-503-retried.jsonl'), 0).status).toBe('completed');
  });

  it('makes a killed run (refused connection, Codex waiting for the network) retryable', () => {
    expect(backend.outcome(lines('connection-refused-killed.jsonl'), null)).toMatchObject({
      status: 'failed',
      kind: 'process',
      retryable: true,
    });
  });

  it('makes exit 2 (clap usage error, nothing on stdout) a permanent usage failure', () => {
    const outcome = backend.outcome(lines('usage-exit-2.stderr.txt'), 2);
    expect(outcome).toMatchObject({ status: 'failed', kind: 'usage', retryable: false });
    expect(outcome.status === 'failed' && outcome.error).toContain("unexpected argument '--bogus-flag'");
  });

  it('does not trust exit 0: no turn.completed, or no agent message, is a permanent protocol failure', () => {
    const cut = lines('exec-command.jsonl').slice(0, 4);
    expect(backend.outcome(cut, 0)).toMatchObject({ status: 'failed', kind: 'protocol', retryable: false });
    const noMessage = lines('exec-command.jsonl').filter((line) => !line.includes('agent_message'));
    expect(backend.outcome(noMessage, 0)).toMatchObject({ status: 'failed', kind: 'protocol' });
    expect(backend.outcome(['not json'], 0)).toMatchObject({ status: 'failed', kind: 'protocol' });
  });

  it('does not trust exit 1 either: a turn.failed is read, a bare exit 1 is a process failure', () => {
    expect(backend.outcome([], 1)).toMatchObject({ status: 'failed', kind: 'process', retryable: false });
    expect(backend.outcome(lines('exec-command.jsonl'), 1)).toMatchObject({ status: 'failed', kind: 'process' });
  });

  it('classifies error messages by the status they name', () => {
    expect(classifyCodexError('unexpected status 404 Not Found: x')).toEqual({ kind: 'api_error', retryable: false });
    expect(classifyCodexError('unexpected status 403 Forbidden: x')).toEqual({ kind: 'auth', retryable: false });
    expect(classifyCodexError('exceeded retry limit, last status: 502 Bad Gateway')).toEqual({
      kind: 'api_error',
      retryable: true,
    });
    expect(classifyCodexError('something new')).toEqual({ kind: 'api_error', retryable: false });
  });
});

interface Run extends InvocationRun {
  outcome: CliOutcome;
  repo: string;
  scratch: Record<string, string>;
}

describe('codex backend: the real CLI against the scripted server', () => {
  let root: string;
  let proxy: RefusingProxy;
  let server: ResponsesServer;
  let daemonDirExisted: boolean;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-e2e-'));
    proxy = await startRefusingProxy();
    daemonDirExisted = fs.existsSync(DAEMON_DIR);
  });
  afterEach(async () => {
    await server?.close();
  });
  afterAll(async () => {
    await proxy.close();
    fs.rmSync(root, { recursive: true, force: true });
    // Codex leaves /tmp/codex-daemon-<uid> (empty, 0700): remove it unless it was there before.
    if (!daemonDirExisted && fs.existsSync(DAEMON_DIR) && fs.readdirSync(DAEMON_DIR).length === 0) {
      fs.rmdirSync(DAEMON_DIR);
    }
  });

  /** Runs codex in a fresh git repository; kills its process group after `idleMs` without output. */
  async function run(steps: ResponsesStep[], prompt: string, opts: { provider?: Partial<CodexProvider>; idleMs?: number; resume?: Run } = {}): Promise<Run> {
    server = await ResponsesServer.start(steps);
    let repo: string;
    let scratch: Record<string, string>;
    if (opts.resume) {
      ({ repo, scratch } = opts.resume);
    } else {
      const dir = fs.mkdtempSync(path.join(root, 'run-'));
      repo = path.join(dir, 'repo');
      fs.mkdirSync(repo);
      const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
      git('init', '-q', '-b', 'main');
      fs.writeFileSync(path.join(repo, 'README.md'), '# demo\n');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
      scratch = codexScratchEnv(path.join(dir, 'scratch'));
      for (const d of Object.values(scratch)) fs.mkdirSync(d, { recursive: true });
    }
    const backend = codexBackend({
      provider: { baseUrl: server.baseUrl, envKey: 'LOCAL_KEY', ...opts.provider },
    });
    const invocation = backend.invocation({
      binary: CODEX,
      prompt,
      model: MODEL,
      resumeSessionId: opts.resume?.outcome.usage.sessionId ?? undefined,
    });
    const result = await runInvocation(invocation, backend, {
      cwd: repo,
      env: { ...scratch, LOCAL_KEY: 'sk-test' },
      proxy,
      idleMs: opts.idleMs ?? 20_000,
    });
    return { ...result, outcome: backend.outcome(result.lines, result.exitCode), repo, scratch };
  }

  it('edits a file with exec_command and apply_patch: completed, files changed, usage, nothing called out', async () => {
    const result = await run(
      [
        { kind: 'function_call', name: 'exec_command', arguments: { cmd: "printf 'hello\\n' > hello.txt" } },
        {
          kind: 'custom_tool_call',
          name: 'apply_patch',
          input: '*** Begin Patch\n*** Update File: README.md\n@@\n-# demo\n+# demo, patched\n*** End Patch\n',
        },
        { kind: 'message', text: 'Created hello.txt and patched README.md.' },
      ],
      'Create hello.txt and patch README.md',
    );
    expect(result.exitCode).toBe(0);
    expect(result.outcome).toEqual({
      status: 'completed',
      summary: 'Created hello.txt and patched README.md.',
      usage: expect.objectContaining({
        inputTokens: 3000,
        cachedTokens: 600,
        outputTokens: 150,
        costUsd: null,
        turns: 1,
        sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    });
    expect(result.progress).toEqual({ lastEventType: 'turn.completed', toolCalls: 2, tokens: 3150 });
    expect(fs.readFileSync(path.join(result.repo, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(fs.readFileSync(path.join(result.repo, 'README.md'), 'utf8')).toBe('# demo, patched\n');
    // The scripted server saw three model calls with the prompt and the model slug.
    const calls = server.modelRequests.map((r) => r.body as { model: string; input: unknown[] });
    expect(calls).toHaveLength(3);
    expect(calls[0]!.model).toBe(MODEL);
    expect(JSON.stringify(calls[0]!.input)).toContain('Create hello.txt and patch README.md');
    // Nothing else was asked of the server, and nothing went through the proxy.
    expect(server.requests).toHaveLength(3);
    expect(proxy.log).toEqual([]);
    // Codex's state went to CODEX_HOME, not HOME; the daemon directory to /tmp whatever TMPDIR says.
    expect(fs.readdirSync(result.scratch.CODEX_HOME!)).toContain('sessions');
    expect(fs.readdirSync(result.scratch.HOME!)).toEqual([]);
    expect(fs.statSync(DAEMON_DIR).isDirectory()).toBe(true);
    expect(fs.readdirSync(DAEMON_DIR)).toEqual([]);
  });

  it('fails a 429 as retryable (Codex never retries a 429 itself), then a new attempt completes', async () => {
    const limited = await run(
      [{ kind: 'error', status: 429, message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' }],
      'Say done',
    );
    expect(limited.exitCode).toBe(1);
    expect(limited.outcome).toMatchObject({ status: 'failed', kind: 'rate_limited', retryable: true });
    expect(server.modelRequests).toHaveLength(1);
    await server.close();
    const retried = await run([{ kind: 'message', text: 'Done.' }], 'Say done');
    expect(retried.outcome).toMatchObject({ status: 'completed', summary: 'Done.' });
    expect(proxy.log).toEqual([]);
  });

  it('retries a 503 itself when request_max_retries allows it', async () => {
    const result = await run(
      [
        { kind: 'error', status: 503, message: 'unavailable', type: 'server_error' },
        { kind: 'message', text: 'Done after a retry.' },
      ],
      'Say done',
      { provider: { requestMaxRetries: 1 } },
    );
    expect(result.outcome).toMatchObject({ status: 'completed', summary: 'Done after a retry.' });
    expect(server.modelRequests).toHaveLength(2);
  });

  it('fails a 400 permanently with the provider message', async () => {
    const result = await run([{ kind: 'error', status: 400, message: 'Invalid model request: bad things' }], 'Do something invalid');
    expect(result.exitCode).toBe(1);
    expect(result.outcome).toMatchObject({ status: 'failed', kind: 'api_error', retryable: false });
    expect(result.outcome.status === 'failed' && result.outcome.error).toContain('Invalid model request: bad things');
    expect(proxy.log).toEqual([]);
  });

  it('hangs on a silent stream until killed at the idle timeout (retryable)', async () => {
    const result = await run([{ kind: 'silent' }], 'Hang', { idleMs: 4_000 });
    expect(result.killedIdle).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.progress.lastEventType).toBe('turn.started');
    expect(result.outcome).toMatchObject({ status: 'failed', kind: 'process', retryable: true });
    expect(result.ms).toBeLessThan(15_000);
  });

  it('fails a silent stream itself with stream_idle_timeout_ms (retryable)', async () => {
    const result = await run([{ kind: 'silent' }], 'Hang', { provider: { streamIdleTimeoutMs: 2_000 } });
    expect(result.killedIdle).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.outcome).toMatchObject({ status: 'failed', kind: 'api_error', retryable: true });
    expect(result.outcome.status === 'failed' && result.outcome.error).toContain('idle timeout waiting for SSE');
  });

  it('resumes the thread of an earlier run in the same CODEX_HOME', async () => {
    const first = await run([{ kind: 'message', text: 'First.' }], 'First');
    await server.close();
    const sessionId = first.outcome.usage.sessionId;
    expect(sessionId).not.toBeNull();
    const second = await run([{ kind: 'message', text: 'Resumed.' }], 'Second', { resume: first });
    expect(second.outcome).toMatchObject({ status: 'completed', summary: 'Resumed.', usage: { sessionId } });
    // The resumed request carries the first turn's history.
    expect(JSON.stringify(server.modelRequests[0]!.body)).toContain('First.');
  });

  it('exits 2 on a usage error: a permanent usage failure', async () => {
    const backend = codexBackend();
    const invocation = backend.invocation({ binary: CODEX, prompt: 'x', extraArgs: ['--no-such-flag'] });
    const child = spawnInvocation(invocation, { cwd: root, env: {}, proxy });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(backend.outcome(text.split('\n'), code)).toMatchObject({ status: 'failed', kind: 'usage', retryable: false });
  });
});
