/** Agent configurations for tests: the fault agent of test/fixtures/agents and the reference agent. */
import path from 'node:path';
import { loadOrchestratorConfig, parseOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';

/** Every capability the seeds' templates and the validation agent require. */
export const ALL_CAPABILITIES = ['analysis', 'documentation', 'design', 'implementation', 'testing', 'deployment', 'validation'];

/** A command backend running the fault agent with `FAULT=fault` (3 s heartbeat timeout unless `extra` says otherwise). */
export const faultBackend = (name: string, fault: string, capabilities: string[], extra: Record<string, unknown> = {}) => ({
  name,
  type: 'command',
  capabilities,
  command: 'node',
  args: ['./fault-agent.mjs'],
  env: { FAULT: fault },
  heartbeatTimeoutMs: 3000,
  ...extra,
});

/** A command backend running the reference agent. */
export const referenceBackend = (capabilities: string[] = ALL_CAPABILITIES) => ({
  name: 'reference-agent',
  type: 'command',
  capabilities,
  command: 'node',
  args: ['../../../examples/agents/reference-agent.mjs'],
});

/** `config` with the repositories of config/orchestrator.json (the example repository, the default for new tickets). */
export function withConfiguredRepositories(config: OrchestratorConfig): OrchestratorConfig {
  const { repositories, defaultRepository } = loadOrchestratorConfig();
  return { ...config, repositories, defaultRepository };
}

/** A configuration of `backends` (relative to test/fixtures/agents) and no validation agent, {@link withConfiguredRepositories}. */
export function fixtureConfig(...backends: object[]): OrchestratorConfig {
  return withConfiguredRepositories(parseOrchestratorConfig({ backends, validationPhases: [] }, path.resolve(__dirname, '..', 'fixtures', 'agents')));
}

/** A hanging agent for capability `hang`, then the reference agent for everything else. */
export const hangThenReference = () => fixtureConfig(faultBackend('hanging-agent', 'hang', ['hang']), referenceBackend());
