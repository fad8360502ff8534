/**
 * The CLI runner's pieces without a CLI (issue 10, "Backends"): the allow-listed environment, the
 * secrets file, redaction, where a CLI's executable is found, and what the backend factory sets up
 * per type (the run's directories, the files it writes before the CLI starts, the clean-up).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESUMABLE_CLIS, cliBackendFor, codexDaemonDir, resolveBinary } from '../../../src/agents/cli/backends';
import { cliBackendSchemas, type CliBackendConfig } from '../../../src/agents/cli/config';
import { REDACTED, SECRETS_FILE_ENV, cliEnvironment, loadSecrets, redactor } from '../../../src/agents/cli/environment';
import { GEMINI_DEFAULT_MODEL } from '../../../src/agents/cli/gemini-cli';

/** A configuration entry as the file gives it, defaults filled in by its schema. */
const entry = (fields: Record<string, unknown>): CliBackendConfig => {
  const schema = cliBackendSchemas.find((candidate) => candidate.shape.type.value === fields.type);
  if (!schema) throw new Error(`no schema for ${String(fields.type)}`);
  return schema.parse({ name: 'agent', capabilities: ['code'], ...fields });
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-environment-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cliEnvironment', () => {
  it('passes PATH, LANG, LC_ALL, TZ and the passEnv names (environment first, then secrets), then the fixed env; nothing else', () => {
    const config = entry({
      type: 'claude-code',
      passEnv: ['ANTHROPIC_API_KEY', 'FROM_SECRETS', 'NOWHERE'],
      env: { ANTHROPIC_BASE_URL: 'http://x', LANG: 'C' },
    });
    const source = { PATH: '/bin', LANG: 'en_US.UTF-8', TZ: 'UTC', HOME: '/root', AWS_SECRET: 'no', ANTHROPIC_API_KEY: 'from-env' };
    const secrets = { ANTHROPIC_API_KEY: 'from-file', FROM_SECRETS: 'file-only', OTHER: 'unused' };
    expect(cliEnvironment(config, source, secrets)).toEqual({
      PATH: '/bin',
      LANG: 'C',
      TZ: 'UTC',
      ANTHROPIC_API_KEY: 'from-env',
      FROM_SECRETS: 'file-only',
      ANTHROPIC_BASE_URL: 'http://x',
    });
  });
});

describe('loadSecrets', () => {
  const saved = process.env[SECRETS_FILE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[SECRETS_FILE_ENV];
    else process.env[SECRETS_FILE_ENV] = saved;
  });
  beforeEach(() => delete process.env[SECRETS_FILE_ENV]);

  it('reads a JSON object of strings; no file configured is no secrets', async () => {
    const file = path.join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ ANTHROPIC_API_KEY: 'sk-1' }));
    await expect(loadSecrets(file)).resolves.toEqual({ ANTHROPIC_API_KEY: 'sk-1' });
    await expect(loadSecrets(undefined)).resolves.toEqual({});
  });

  it('takes ORCHESTRATOR_SECRETS_FILE over the configured file', async () => {
    const file = path.join(dir, 'override.json');
    writeFileSync(file, JSON.stringify({ KEY: 'from-override' }));
    process.env[SECRETS_FILE_ENV] = file;
    await expect(loadSecrets(path.join(dir, 'configured.json'))).resolves.toEqual({ KEY: 'from-override' });
    await expect(loadSecrets(undefined)).resolves.toEqual({ KEY: 'from-override' });
  });

  it('names the file when it is missing, not JSON, not an object or has values that are not strings', async () => {
    const missing = path.join(dir, 'missing.json');
    await expect(loadSecrets(missing)).rejects.toThrow(`cannot read the secrets file ${missing}`);
    const cases: [string, string][] = [
      ['{not json', 'is not JSON'],
      ['["a"]', 'must hold a JSON object of strings'],
      ['{"A":"x","B":1,"C":null}', 'must hold a JSON object of strings; not strings: B, C'],
    ];
    for (const [text, message] of cases) {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, text);
      await expect(loadSecrets(file)).rejects.toThrow(`the secrets file ${file} ${message}`);
    }
  });
});

describe('redactor', () => {
  it('replaces every occurrence of each value of 4 characters or more, longer values first', () => {
    const redact = redactor(['sk-abc', 'sk-abc-longer', 'xyz', '']);
    expect(redact('key sk-abc-longer then sk-abc and sk-abc; xyz stays')).toBe(`key ${REDACTED} then ${REDACTED} and ${REDACTED}; xyz stays`);
    expect(redactor([])('nothing to hide')).toBe('nothing to hide');
  });
});

describe('resolveBinary', () => {
  it('takes an absolute path as is and resolves ./ and ../ against the configuration directory', () => {
    expect(resolveBinary({ type: 'codex', binary: '/opt/codex' }, '/etc/orchestrator', dir)).toBe('/opt/codex');
    expect(resolveBinary({ type: 'codex', binary: './bin/codex' }, '/etc/orchestrator', dir)).toBe('/etc/orchestrator/bin/codex');
    expect(resolveBinary({ type: 'codex', binary: '../codex' }, '/etc/orchestrator', dir)).toBe('/etc/codex');
  });

  it("looks a name up in the project's node_modules/.bin, then (aider) .tools/aider-venv/bin, else leaves it to PATH", () => {
    expect(resolveBinary({ type: 'claude-code' }, '/cfg', dir)).toBe('claude');
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', '.bin', 'claude'), '');
    expect(resolveBinary({ type: 'claude-code' }, '/cfg', dir)).toBe(path.join(dir, 'node_modules', '.bin', 'claude'));
    expect(resolveBinary({ type: 'gemini-cli', binary: 'gemini-nightly' }, '/cfg', dir)).toBe('gemini-nightly');
    expect(resolveBinary({ type: 'aider' }, '/cfg', dir)).toBe('aider');
    mkdirSync(path.join(dir, '.tools', 'aider-venv', 'bin'), { recursive: true });
    writeFileSync(path.join(dir, '.tools', 'aider-venv', 'bin', 'aider'), '');
    expect(resolveBinary({ type: 'aider' }, '/cfg', dir)).toBe(path.join(dir, '.tools', 'aider-venv', 'bin', 'aider'));
  });
});

describe('cliBackendFor', () => {
  const dirs = () => ({ home: path.join(dir, 'home'), tmp: path.join(dir, 'tmp-1') });
  const base = { PATH: '/bin', KEY: 'k' };

  it('claude-code: HOME and TMPDIR over the given environment, CLI retries as CLAUDE_CODE_MAX_RETRIES, no files', async () => {
    const setup = cliBackendFor(entry({ type: 'claude-code', cliRetries: 2, model: 'claude-sonnet-4-5' }), dirs(), base);
    expect(setup.backend.type).toBe('claude-code');
    expect(setup.env).toEqual({ ...base, HOME: dirs().home, TMPDIR: dirs().tmp });
    expect(setup.files).toEqual({});
    expect(setup.model).toBe('claude-sonnet-4-5');
    expect(setup.backend.invocation({ binary: 'claude', prompt: 'p' }).env.CLAUDE_CODE_MAX_RETRIES).toBe('2');
    await expect(setup.cleanup()).resolves.toBeUndefined();
  });

  it('codex: CODEX_HOME under HOME (created), the provider with CLI retries, the daemon directory removed only when empty', async () => {
    const config = entry({ type: 'codex', cliRetries: 1, provider: { baseUrl: 'http://127.0.0.1:9/v1', envKey: 'KEY' }, passEnv: ['KEY'] });
    const setup = cliBackendFor(config, dirs(), base);
    const codexHome = path.join(dirs().home, '.codex');
    expect(setup.env).toEqual({ ...base, HOME: dirs().home, TMPDIR: dirs().tmp, CODEX_HOME: codexHome });
    expect(existsSync(codexHome)).toBe(true);
    expect(setup.backend.invocation({ binary: 'codex', prompt: 'p' }).args).toContain(
      'model_providers.local={name="local",base_url="http://127.0.0.1:9/v1",wire_api="responses",env_key="KEY",request_max_retries=1,stream_max_retries=1}',
    );
    const daemon = codexDaemonDir();
    mkdirSync(daemon, { recursive: true, mode: 0o700 });
    const marker = path.join(daemon, 'cli-environment-test-marker');
    writeFileSync(marker, '');
    await setup.cleanup();
    expect(existsSync(daemon)).toBe(true);
    rmSync(marker);
    await setup.cleanup();
    // Gone, unless another Codex run put something there meanwhile.
    if (existsSync(daemon)) expect(readdirSync(daemon)).not.toEqual([]);
    await expect(setup.cleanup()).resolves.toBeUndefined();
  });

  it('gemini-cli: the settings file in HOME (attempts = CLI retries + 1, at most 10; the turn limit), a model always', () => {
    const setup = cliBackendFor(entry({ type: 'gemini-cli', maxTurns: 7 }), dirs(), base);
    expect(setup.model).toBe(GEMINI_DEFAULT_MODEL);
    const file = path.join(dirs().home, '.gemini', 'settings.json');
    expect(Object.keys(setup.files)).toEqual([file]);
    expect(JSON.parse(setup.files[file]!)).toMatchObject({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { maxAttempts: 1 },
      model: { maxSessionTurns: 7 },
    });
    const many = cliBackendFor(entry({ type: 'gemini-cli', cliRetries: 20, model: 'gemini-2.5-flash' }), dirs(), base);
    expect(many.model).toBe('gemini-2.5-flash');
    expect(JSON.parse(Object.values(many.files)[0]!)).toMatchObject({ general: { maxAttempts: 10 } });
  });

  it('aider: model metadata (no prices: Aider reports tokens only) and settings files in TMPDIR, the endpoint and files on its command line', () => {
    const setup = cliBackendFor(entry({ type: 'aider', model: 'm', openaiApiBase: 'http://127.0.0.1:9/v1', files: ['a.txt'] }), dirs(), base);
    const metadata = path.join(dirs().tmp, 'aider-model-metadata.json');
    const settings = path.join(dirs().tmp, 'aider-model-settings.yml');
    expect(Object.keys(setup.files).sort()).toEqual([metadata, settings]);
    expect(JSON.parse(setup.files[metadata]!)).toMatchObject({ 'openai/m': { input_cost_per_token: 0, output_cost_per_token: 0, max_input_tokens: 128_000 } });
    expect(setup.files[settings]).toContain('max_retries: 0');
    const { args } = setup.backend.invocation({ binary: 'aider', prompt: 'p', model: 'm' });
    expect(args).toEqual(expect.arrayContaining(['--openai-api-base', 'http://127.0.0.1:9/v1', '--model-metadata-file', metadata, 'a.txt']));
    const byDefault = cliBackendFor(entry({ type: 'aider' }), dirs(), base).backend.invocation({ binary: 'aider', prompt: 'p' }).args;
    expect(byDefault).toEqual(expect.arrayContaining(['--openai-api-base', 'https://api.openai.com/v1']));
  });

  it('knows which CLIs can resume a session', () => {
    expect([...RESUMABLE_CLIS].sort()).toEqual(['claude-code', 'codex', 'gemini-cli']);
  });
});
