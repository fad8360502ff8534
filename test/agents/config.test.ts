/** The orchestrator configuration file: validation, backend selection by capability, gates. */
import path from 'node:path';
import { assignmentOf, loadOrchestratorConfig, parseOrchestratorConfig, selectBackend } from '../../src/agents/config';
import { gatedPhases } from '../../src/phase-work/gate-policy';
import { PHASE_GATE_REQUIREMENTS } from '../../src/phase-work/gates';
import { Phase } from '../../src/ticket/phases';
import { workflowSettings, loadConfig } from '../../src/platform/config';

const command = (name: string, capabilities: string[]) => ({ name, type: 'command', capabilities, command: 'node', args: ['./agent.mjs'] });

describe('orchestrator configuration', () => {
  it('loads the repository configuration: the reference agent serves every template capability and the validation', () => {
    const config = loadOrchestratorConfig();
    for (const capability of ['analysis', 'documentation', 'design', 'implementation', 'testing', 'deployment', 'validation']) {
      expect(selectBackend(config, [capability])?.name).toBe('reference-agent');
    }
    expect(config.baseDir).toBe(path.resolve(__dirname, '..', '..', 'config'));
  });

  it('routes a task to the first backend that has every required capability', () => {
    const config = parseOrchestratorConfig({ backends: [command('docs', ['documentation']), command('all', ['documentation', 'testing'])] }, '/cfg');
    expect(selectBackend(config, ['documentation'])?.name).toBe('docs');
    expect(selectBackend(config, ['documentation', 'testing'])?.name).toBe('all');
    expect(selectBackend(config, [])?.name).toBe('docs');
    expect(selectBackend(config, ['deployment'])).toBeUndefined();
  });

  it('fills defaults and exposes the timeouts the workflow schedules with', () => {
    const config = parseOrchestratorConfig(
      { backends: [command('a', ['x']), { name: 'h', type: 'http', capabilities: ['y'], url: 'http://agent:8080/tasks' }] },
      '/cfg',
    );
    expect(assignmentOf(config.backends[0]!)).toEqual({ name: 'a', type: 'command', timeoutMs: 600_000, heartbeatTimeoutMs: 15_000 });
    expect(assignmentOf(config.backends[1]!)).toEqual({ name: 'h', type: 'http', timeoutMs: 600_000, heartbeatTimeoutMs: 0 });
  });

  it("extends the seeds' gates with a deployment's own, and gates the phases that have a gate or a validation agent", () => {
    const config = parseOrchestratorConfig(
      {
        backends: [command('a', ['x'])],
        validationPhases: [Phase.DESIGN],
        gates: {
          [Phase.DEPLOYMENT]: { requiredArtifacts: ['deployment_record'] },
          [Phase.REQUIREMENTS]: { validationCriteria: { requirements_document: { minLength: 800 } } },
        },
      },
      '/cfg',
    );
    expect(config.gateRequirements[Phase.DEPLOYMENT]).toEqual({
      requiredArtifacts: ['deployment_record'],
      requiredTasksCompleted: false,
      validationCriteria: {},
    });
    expect(config.gateRequirements[Phase.REQUIREMENTS]!.validationCriteria.requirements_document).toEqual({
      minLength: 800,
      requiredSections: ['scope', 'acceptance_criteria'],
      // Issue 11: an empty Acceptance Criteria section counts as none.
      nonEmptySections: ['acceptance_criteria'],
    });
    expect(config.gateRequirements[Phase.TESTING]).toEqual(PHASE_GATE_REQUIREMENTS[Phase.TESTING]);
    expect(gatedPhases(config)).toEqual([Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING, Phase.DEPLOYMENT]);
  });

  it('rejects an invalid file, naming every bad field', () => {
    expect(() => parseOrchestratorConfig({ backends: [] }, '/cfg')).toThrow(/at backends$/m);
    expect(() => parseOrchestratorConfig({ backends: [{ name: 'x', type: 'ftp', capabilities: ['a'] }] }, '/cfg')).toThrow(/backends\[0\]\.type/);
    expect(() => parseOrchestratorConfig({ backends: [command('a', [])] }, '/cfg')).toThrow(/backends\[0\]\.capabilities/);
    expect(() => parseOrchestratorConfig({ backends: [command('a', ['x'])], validationPhases: ['PHASE_NOPE'] }, '/cfg')).toThrow(/validationPhases\[0\]/);
    expect(() => parseOrchestratorConfig({ backends: [command('a', ['x'])], extra: 1 }, '/cfg')).toThrow(/extra/);
  });

  it('reads the SLAs per phase and the escalation webhooks (issue 11), and passes them to ticket workflows', () => {
    const repository = loadOrchestratorConfig();
    expect(repository.escalation.slas).toEqual({
      [Phase.REQUIREMENTS]: { ms: 2 * 3_600_000, action: 'escalate' },
      [Phase.IMPLEMENTATION]: { ms: 8 * 3_600_000, action: 'escalate' },
      [Phase.BLOCKED]: { ms: 24 * 3_600_000, action: 'escalate' },
      awaiting_approval: { ms: 72 * 3_600_000, action: 'escalate' },
    });
    const config = parseOrchestratorConfig(
      {
        backends: [command('a', ['x'])],
        escalation: {
          slas: { [Phase.DESIGN]: { ms: 1000, action: 'block' }, [Phase.TESTING]: { ms: 5 } },
          webhooks: [{ url: 'https://hooks.example/x', secretEnv: 'HOOK_SECRET' }],
        },
      },
      '/cfg',
    );
    expect(config.escalation).toEqual({
      slas: { [Phase.DESIGN]: { ms: 1000, action: 'block' }, [Phase.TESTING]: { ms: 5, action: 'escalate' } },
      webhooks: [{ url: 'https://hooks.example/x', secretEnv: 'HOOK_SECRET' }],
      webUiUrl: 'http://127.0.0.1:8233',
    });
    expect(workflowSettings(loadConfig({}), config).escalation).toEqual({ slas: config.escalation.slas, webhooks: config.escalation.webhooks });
    // A file without the entry: no SLA, no webhook.
    expect(parseOrchestratorConfig({ backends: [command('a', ['x'])] }, '/cfg').escalation).toEqual({
      slas: {},
      webhooks: [],
      webUiUrl: 'http://127.0.0.1:8233',
    });
  });

  it.each([
    ['an SLA on BACKLOG', { slas: { [Phase.BACKLOG]: { ms: 1000 } } }, /escalation\.slas/],
    ['an SLA of 0 ms', { slas: { [Phase.DESIGN]: { ms: 0 } } }, /escalation\.slas\.PHASE_DESIGN\.ms/],
    ['an SLA over 30 days', { slas: { [Phase.DESIGN]: { ms: 31 * 86_400_000 } } }, /escalation\.slas\.PHASE_DESIGN\.ms/],
    ['an unknown action', { slas: { [Phase.DESIGN]: { ms: 10, action: 'reassign' } } }, /escalation\.slas\.PHASE_DESIGN\.action/],
    [
      'the block action on PHASE_BLOCKED',
      { slas: { [Phase.BLOCKED]: { ms: 10, action: 'block' } } },
      /cannot be blocked again[\s\S]*escalation\.slas\.PHASE_BLOCKED\.action/,
    ],
    ['a webhook that is not http(s)', { webhooks: [{ url: 'ftp://hooks.example/x', secretEnv: 'S' }] }, /escalation\.webhooks\[0\]\.url/],
    [
      'a secretEnv that is no variable name',
      { webhooks: [{ url: 'https://hooks.example/x', secretEnv: 'my secret' }] },
      /escalation\.webhooks\[0\]\.secretEnv/,
    ],
    ['a webhook without secretEnv', { webhooks: [{ url: 'https://hooks.example/x' }] }, /escalation\.webhooks\[0\]\.secretEnv/],
    ['an unknown field', { retries: 3 }, /retries/],
  ])('rejects an escalation entry with %s', (_name, escalation, message) => {
    expect(() => parseOrchestratorConfig({ backends: [command('a', ['x'])], escalation }, '/cfg')).toThrow(message);
  });
});
