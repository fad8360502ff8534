/** The orchestrator configuration file: validation, backend selection by capability, gates. */
import path from 'node:path';
import { assignmentOf, loadOrchestratorConfig, parseOrchestratorConfig, selectBackend } from '../../src/agents/config';
import { gatedPhases } from '../../src/phase-work/gate-policy';
import { PHASE_GATE_REQUIREMENTS } from '../../src/phase-work/gates';
import { Phase } from '../../src/ticket/phases';

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
});
