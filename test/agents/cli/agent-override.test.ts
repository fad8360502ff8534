/** `npm start -- --agent <cli>`: the configuration it derives (issue 10, "Main job and docs"). */
import { parseOrchestratorConfig, type CliBackendConfig, type OrchestratorConfig } from '../../../src/agents/config';
import { PROXY_ENV, agentOverride, isCliBackendType } from '../../../src/agents/cli/agent-override';

const config = parseOrchestratorConfig(
  {
    backends: [
      { name: 'docs', type: 'command', capabilities: ['analysis', 'documentation'], command: 'node' },
      { name: 'svc', type: 'http', capabilities: ['documentation', 'testing'], url: 'http://agent:8080/tasks' },
    ],
    prices: { 'gpt-5.5': { inputUsdPerMTok: 1, outputUsdPerMTok: 8 } },
    validationPhases: [],
  },
  '/cfg',
);

/** The model of the one backend of an overridden configuration. */
const modelOf = (overridden: OrchestratorConfig) => (overridden.backends[0] as CliBackendConfig).model;

const defaults = { args: [], env: {}, cliRetries: 0, idleTimeoutMs: 300_000, timeoutMs: 1_800_000, heartbeatTimeoutMs: 30_000 };

describe('agentOverride', () => {
  it('puts one claude-code backend on every configured capability, with its key and endpoint passed through', () => {
    const overridden = agentOverride(config, 'claude-code', { ORCHESTRATOR_AGENT_MODEL: 'claude-sonnet-4-5', ANTHROPIC_API_KEY: 'sk-secret' });
    expect(overridden.backends).toEqual([
      {
        ...defaults,
        name: 'claude-code',
        type: 'claude-code',
        capabilities: ['analysis', 'documentation', 'testing'],
        model: 'claude-sonnet-4-5',
        passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', ...PROXY_ENV],
      },
    ]);
    // The key's value stays in the environment: only its name is in the configuration.
    expect(JSON.stringify(overridden)).not.toContain('sk-secret');
    expect({ ...overridden, backends: config.backends }).toEqual(config);
  });

  it('points codex and aider at OPENAI_BASE_URL when it is set, and leaves the model to the CLI when none is given', () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1' };
    expect(agentOverride(config, 'codex', env).backends[0]).toEqual({
      ...defaults,
      name: 'codex',
      type: 'codex',
      capabilities: ['analysis', 'documentation', 'testing'],
      passEnv: ['OPENAI_API_KEY', ...PROXY_ENV],
      provider: { baseUrl: 'http://127.0.0.1:9000/v1', envKey: 'OPENAI_API_KEY' },
    });
    expect(agentOverride(config, 'aider', env).backends[0]).toMatchObject({
      name: 'aider',
      passEnv: ['OPENAI_API_KEY', ...PROXY_ENV],
      openaiApiBase: 'http://127.0.0.1:9000/v1',
      files: [],
    });
    expect(agentOverride(config, 'codex', {}).backends[0]).not.toHaveProperty('provider');
    expect(agentOverride(config, 'aider', { OPENAI_BASE_URL: '' }).backends[0]).not.toHaveProperty('openaiApiBase');
    expect(modelOf(agentOverride(config, 'codex', {}))).toBeUndefined();
  });

  it('passes gemini-cli its key and endpoint, and the model when one is given', () => {
    expect(modelOf(agentOverride(config, 'gemini-cli', {}))).toBeUndefined();
    expect(agentOverride(config, 'gemini-cli', {}).backends[0]).toMatchObject({
      name: 'gemini-cli',
      passEnv: ['GEMINI_API_KEY', 'GOOGLE_GEMINI_BASE_URL', ...PROXY_ENV],
    });
    expect(modelOf(agentOverride(config, 'gemini-cli', { ORCHESTRATOR_AGENT_MODEL: 'gemini-2.5-flash' }))).toBe('gemini-2.5-flash');
  });

  it('refuses an unknown agent and a base URL that is not one', () => {
    expect(isCliBackendType('codex')).toBe(true);
    expect(isCliBackendType('command')).toBe(false);
    expect(() => agentOverride(config, 'cursor', {})).toThrow('unknown agent "cursor": --agent takes one of claude-code, codex, gemini-cli, aider');
    expect(() => agentOverride(config, 'codex', { OPENAI_BASE_URL: 'not a url' })).toThrow(/cannot run --agent codex:[\s\S]*provider\.baseUrl/);
  });
});
