/**
 * The generic CLI runner (issue 10, "Backends") with the real CLIs against the scripted model
 * servers of the spikes, every proxy variable pointing at a proxy that refuses and logs (its log
 * must stay empty): Claude Code through every path of `runCliAgent` (completion with live progress,
 * the idle timeout, cancellation, the run's own HOME and TMPDIR and nothing left in the system temp
 * directory, a secret from the secrets file passed through and redacted, a missing executable), and
 * one completed run each of Codex (CODEX_HOME, the daemon directory), Gemini CLI (the settings file)
 * and Aider (the model files, its repository-map cache removed from the tree).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codexDaemonDir } from '../../../src/agents/cli/backends';
import { cliBackendSchemas, type CliBackendConfig } from '../../../src/agents/cli/config';
import { REDACTED } from '../../../src/agents/cli/environment';
import { runCliAgent, type CliHeartbeat, type CliRun, type CliRunOptions } from '../../../src/agents/cli/runner';
import { startAnthropicServer, type AnthropicServer, type AnthropicStep } from '../../fixtures/model-servers/anthropic';
import { startGeminiServer } from '../../fixtures/model-servers/gemini';
import { OpenAiChatServer } from '../../fixtures/model-servers/openai-chat';
import { ResponsesServer } from '../../fixtures/model-servers/openai-responses';
import { startRefusingProxy, type RefusingProxy } from '../../fixtures/model-servers/refusing-proxy';
import { eventually, isAlive } from '../../helpers/poll';

/** A key of the right shape, only in the secrets: only the scripted server ever sees it. */
const SECRET_KEY = 'sk-ant-api03-runner-secret-key';
/** Entries other tests and sessions make in the system temp directory at the same time (mkdtemp names, Jest's). */
const FOREIGN_TMP_ENTRY = /-[A-Za-z0-9]{6}$|^jest/;

/** A configuration entry as the file gives it, defaults filled in by its schema. */
const entry = (fields: Record<string, unknown>): CliBackendConfig => {
  const schema = cliBackendSchemas.find((candidate) => candidate.shape.type.value === fields.type);
  if (!schema) throw new Error(`no schema for ${String(fields.type)}`);
  return schema.parse({ name: 'agent', capabilities: ['code'], ...fields });
};

/** A git repository with one commit of `files`. */
function makeRepo(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'initial');
  return dir;
}

/** The system temp directory's entries, but for those other tests and sessions make meanwhile. */
const tmpEntries = () => readdirSync(os.tmpdir()).filter((name) => !FOREIGN_TMP_ENTRY.test(name));

const status = (repo: string) => execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' });

let proxy: RefusingProxy;
let root: string;
let repo: string;
let scratch: string;

beforeAll(async () => {
  proxy = await startRefusingProxy();
});
afterAll(async () => {
  await proxy.close();
});
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'cli-runner-test-'));
  scratch = path.join(root, 'scratch');
});
afterEach(() => {
  expect(proxy.log).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

/** What a run gave, with what the runner reported on the way. */
interface Observed {
  run: CliRun;
  heartbeats: CliHeartbeat[];
  logs: string[];
  pid: number;
}

/** Runs `config` in `repo` as the activity would: attempt 1, the Anthropic key in the secrets only. */
async function run(config: CliBackendConfig, options: Partial<CliRunOptions> = {}): Promise<Observed> {
  const heartbeats: CliHeartbeat[] = [];
  const logs: string[] = [];
  let pid = 0;
  const result = await runCliAgent(config, {
    cwd: repo,
    scratchDir: scratch,
    attempt: 1,
    prompt: 'Create hello.txt saying hello.',
    baseDir: root,
    source: { PATH: process.env.PATH, HOME: '/should/not/pass', SOME_SECRET: 'not-passed' },
    secrets: { ANTHROPIC_API_KEY: SECRET_KEY },
    signal: new AbortController().signal,
    onProgress: (details) => heartbeats.push(details),
    heartbeatIntervalMs: 500,
    onSpawn: (spawned) => (pid = spawned),
    log: (line) => logs.push(line),
    killGraceMs: 1000,
    ...options,
  });
  return { run: result, heartbeats, logs, pid };
}

describe('runCliAgent with Claude Code', () => {
  let server: AnthropicServer;
  beforeAll(async () => {
    server = await startAnthropicServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    repo = makeRepo(path.join(root, 'repo'), { 'README.md': '# example\n' });
    server.requests.length = 0;
  });

  const claude = (fields: Record<string, unknown> = {}) =>
    entry({
      type: 'claude-code',
      model: 'claude-sonnet-4-5',
      passEnv: ['ANTHROPIC_API_KEY'],
      env: { ANTHROPIC_BASE_URL: server.baseUrl, ...proxy.env() },
      ...fields,
    });
  const writeHello = (): AnthropicStep => ({ kind: 'tool_use', name: 'Write', input: { file_path: path.join(repo, 'hello.txt'), content: 'hello\n' } });

  it('completes a run that writes a file: progress heartbeated, the secret passed through, its own HOME kept and TMPDIR removed', async () => {
    server.script([writeHello(), { kind: 'text', text: 'Created hello.txt.' }]);
    const tmpBefore = tmpEntries();
    const { run: result, heartbeats } = await run(claude());
    expect(result.outcome).toMatchObject({ status: 'completed', summary: 'Created hello.txt.', usage: { turns: 2, costSource: 'reported' } });
    expect(result.model).toBe('claude-sonnet-4-5');
    expect(result.finishedAt.getTime()).toBeGreaterThan(result.startedAt.getTime());
    expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(status(repo)).toBe('?? hello.txt\n');
    // The key came from the secrets file (the orchestrator's environment has none).
    expect(server.requests[0]?.headers['x-api-key']).toBe(SECRET_KEY);
    // A heartbeat per event, tool calls and tokens rising to the result's.
    const events = heartbeats.filter((beat) => beat.lastEventType !== null);
    expect(events.map((beat) => beat.lastEventType)).toEqual(expect.arrayContaining(['system/init', 'assistant', 'user', 'result/success']));
    expect(events.at(-1)).toMatchObject({ lastEventType: 'result/success', toolCalls: 1, tokens: 300 });
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.toolCalls).toBeGreaterThanOrEqual(events[i - 1]!.toolCalls);
      expect(events[i]!.tokens).toBeGreaterThanOrEqual(events[i - 1]!.tokens);
    }
    expect(events[0]!.pid).toBeGreaterThan(0);
    // HOME (the CLI's sessions, for a resume) is kept; this attempt's TMPDIR is gone; nothing new in the system's.
    expect(readdirSync(path.join(scratch, 'home'))).toContain('.claude');
    expect(readdirSync(scratch)).toEqual(['home']);
    expect(tmpEntries().filter((name) => !tmpBefore.includes(name))).toEqual([]);
  });

  it('resumes the session of an earlier attempt in the kept HOME', async () => {
    server.script([{ kind: 'error', status: 500, type: 'api_error', message: 'Scripted server error' }]);
    const first = await run(claude());
    expect(first.run.outcome).toMatchObject({ status: 'failed', kind: 'api_error', retryable: true });
    const sessionId = first.run.outcome.usage.sessionId;
    expect(sessionId).toEqual(expect.any(String));
    server.requests.length = 0;
    server.script([{ kind: 'text', text: 'Resumed.' }]);
    const second = await run(claude(), { attempt: 2, resumeSessionId: sessionId! });
    expect(second.run.outcome).toMatchObject({ status: 'completed', summary: 'Resumed.', usage: { sessionId } });
    // The resumed conversation carries the first attempt's prompt.
    expect(JSON.stringify(server.requests[0]?.body).split('Create hello.txt saying hello.').length - 1).toBeGreaterThanOrEqual(2);
  });

  it('redacts a secret the server echoes back from the error', async () => {
    server.script([{ kind: 'error', status: 500, type: 'api_error', message: `key ${SECRET_KEY} is not welcome` }]);
    const { run: result, logs } = await run(claude(), { source: { PATH: process.env.PATH, ANTHROPIC_API_KEY: SECRET_KEY }, secrets: {} });
    expect(server.requests[0]?.headers['x-api-key']).toBe(SECRET_KEY);
    expect(result.outcome).toMatchObject({ status: 'failed', kind: 'api_error', retryable: true });
    if (result.outcome.status !== 'failed') throw new Error('expected a failure');
    expect(result.outcome.error).toContain(`claude-code: API Error: 500 key ${REDACTED} is not welcome`);
    expect(result.outcome.error).not.toContain(SECRET_KEY);
    expect(logs.join('\n')).not.toContain(SECRET_KEY);
  });

  it('kills a CLI that goes silent at the idle timeout: failed idle_timeout, retryable, the group gone', async () => {
    server.script([{ kind: 'silent' }]);
    const started = Date.now();
    const { run: result, pid, logs } = await run(claude({ idleTimeoutMs: 3000 }));
    expect(Date.now() - started).toBeLessThan(3000 + 4000);
    expect(result.outcome).toEqual({
      status: 'failed',
      kind: 'idle_timeout',
      retryable: true,
      error: 'claude-code wrote nothing for 3000 ms; killed',
      usage: expect.objectContaining({ sessionId: expect.any(String) }),
    });
    expect(logs).toContain(`claude-code wrote nothing for 3000 ms: killing process group ${pid}`);
    expect(isAlive(pid)).toBe(false);
    expect(readdirSync(scratch)).toEqual(['home']);
  });

  it('kills the group on cancellation and rejects with the abort reason', async () => {
    server.script([{ kind: 'silent' }]);
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    let pid = 0;
    const running = run(claude(), {
      signal: controller.signal,
      onSpawn: (spawned) => (pid = spawned),
      onProgress: (beat) => {
        if (beat.lastEventType === 'system/init') controller.abort(reason);
      },
    });
    await expect(running).rejects.toBe(reason);
    expect(pid).toBeGreaterThan(0);
    await eventually(() => !isAlive(pid), `process ${pid} to be gone`, 5000);
    expect(readdirSync(scratch)).toEqual(['home']);
    await expect(run(claude(), { signal: controller.signal })).rejects.toBe(reason);
  });

  it('fails permanently as unavailable when the executable is missing, naming it', async () => {
    const { run: result } = await run(claude({ binary: './bin/no-such-claude' }));
    expect(result.outcome).toMatchObject({
      status: 'failed',
      kind: 'unavailable',
      retryable: false,
      error: expect.stringContaining(`claude-code: cannot run ${path.join(root, 'bin', 'no-such-claude')}: spawn`) as string,
    });
    expect(server.requests).toEqual([]);
    expect(readdirSync(scratch)).toEqual(['home']);
    const notExecutable = path.join(root, 'claude-not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    const denied = await run(claude({ binary: notExecutable }));
    expect(denied.run.outcome).toMatchObject({ status: 'failed', kind: 'unavailable', retryable: false, error: expect.stringContaining('EACCES') as string });
  });

  it('fails permanently as usage when the command line is too long for the system (a prompt over 128 KiB in argv)', async () => {
    const config = entry({ type: 'gemini-cli', passEnv: ['GEMINI_API_KEY'], env: proxy.env() });
    const { run: result, pid } = await run(config, { prompt: 'x'.repeat(200_000) });
    expect(result.outcome).toMatchObject({
      status: 'failed',
      kind: 'usage',
      retryable: false,
      error: expect.stringContaining('its command line is too long (E2BIG') as string,
    });
    expect(pid).toBe(0);
    expect(readdirSync(scratch)).toEqual(['home']);
  });

  it('fails as a retryable process failure when it cannot prepare the run, without starting the CLI', async () => {
    writeFileSync(scratch, 'a file where the scratch directory should be');
    const { run: result, pid } = await run(claude());
    expect(result.outcome).toMatchObject({
      status: 'failed',
      kind: 'process',
      retryable: true,
      error: expect.stringContaining(`claude-code: cannot prepare the run in ${scratch}: `) as string,
    });
    expect(pid).toBe(0);
    expect(server.requests).toEqual([]);
  });
});

describe('runCliAgent with the other CLIs (one completed run each)', () => {
  it('codex: completes with its state in CODEX_HOME under the kept HOME, the daemon directory cleaned up', async () => {
    repo = makeRepo(path.join(root, 'repo'), { 'README.md': '# demo\n' });
    const server = await ResponsesServer.start([
      { kind: 'function_call', name: 'exec_command', arguments: { cmd: "printf 'hello\\n' > hello.txt" } },
      { kind: 'message', text: 'Created hello.txt.' },
    ]);
    try {
      const config = entry({
        type: 'codex',
        model: 'gpt-5.5',
        provider: { baseUrl: server.baseUrl, envKey: 'LOCAL_KEY' },
        passEnv: ['LOCAL_KEY'],
        env: proxy.env(),
      });
      const tmpBefore = tmpEntries();
      const { run: result } = await run(config, { secrets: { LOCAL_KEY: 'sk-local-test' } });
      // The daemon directory is checked below (another session's Codex may be using it).
      const daemon = codexDaemonDir();
      expect(tmpEntries().filter((name) => !tmpBefore.includes(name) && name !== path.basename(daemon))).toEqual([]);
      expect(result.outcome).toMatchObject({ status: 'completed', summary: 'Created hello.txt.', usage: { costUsd: null, turns: 1 } });
      expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hello\n');
      expect(readdirSync(path.join(scratch, 'home', '.codex'))).toContain('sessions');
      expect(readdirSync(scratch)).toEqual(['home']);
      // Removed when empty; another session's Codex may be using it.
      if (existsSync(daemon)) expect(readdirSync(daemon)).not.toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('gemini-cli: completes with the settings file in its HOME', async () => {
    repo = makeRepo(path.join(root, 'repo'), { 'README.md': 'old\n' });
    const server = await startGeminiServer([
      { kind: 'functionCall', name: 'write_file', args: { file_path: 'README.md', content: 'new\n' } },
      { kind: 'text', text: 'README.md now says new.' },
    ]);
    try {
      const config = entry({ type: 'gemini-cli', passEnv: ['GEMINI_API_KEY'], env: { GOOGLE_GEMINI_BASE_URL: server.baseUrl, ...proxy.env() } });
      const tmpBefore = tmpEntries();
      const { run: result } = await run(config, { prompt: 'Replace README.md with "new".', secrets: { GEMINI_API_KEY: 'gemini-test-key' } });
      expect(tmpEntries().filter((name) => !tmpBefore.includes(name))).toEqual([]);
      expect(result.outcome).toMatchObject({ status: 'completed', summary: 'README.md now says new.', usage: { turns: 2, costUsd: null } });
      expect(result.model).toBe('gemini-2.5-pro');
      expect(server.requests[0]).toMatchObject({ url: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', apiKey: 'gemini-test-key' });
      expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('new\n');
      const settings = JSON.parse(readFileSync(path.join(scratch, 'home', '.gemini', 'settings.json'), 'utf8')) as unknown;
      expect(settings).toMatchObject({ general: { maxAttempts: 1 }, privacy: { usageStatisticsEnabled: false } });
      expect(readdirSync(scratch)).toEqual(['home']);
    } finally {
      await server.close();
    }
  });

  it('aider: completes with its model files, tokens without a cost, and its repository-map cache removed from the tree', async () => {
    repo = makeRepo(path.join(root, 'repo'), { 'hello.txt': 'hello\n' });
    const server = await OpenAiChatServer.start([
      { kind: 'text', content: 'I will update the greeting.\n\nhello.txt\n```\nhello, aider\n```\n', promptTokens: 1200, completionTokens: 40 },
    ]);
    try {
      const config = entry({
        type: 'aider',
        model: 'test-model',
        openaiApiBase: server.baseUrl,
        files: ['hello.txt'],
        passEnv: ['OPENAI_API_KEY'],
        env: proxy.env(),
      });
      const tmpBefore = tmpEntries();
      const { run: result } = await run(config, { prompt: 'Change hello.txt so that it says "hello, aider".', secrets: { OPENAI_API_KEY: 'sk-aider-test' } });
      expect(tmpEntries().filter((name) => !tmpBefore.includes(name))).toEqual([]);
      expect(result.outcome).toMatchObject({
        status: 'completed',
        usage: { inputTokens: 1200, outputTokens: 40, costUsd: null, costSource: null, turns: 1 },
      });
      expect(server.chatRequests[0]?.headers.authorization).toBe('Bearer sk-aider-test');
      expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hello, aider\n');
      expect(status(repo)).toBe(' M hello.txt\n');
      // Aider wrote `.aider.tags.cache.v4/` at the root; the runner removed it (the status above has no `??` line).
      expect(readdirSync(scratch)).toEqual(['home']);
    } finally {
      await server.close();
    }
  });
});
