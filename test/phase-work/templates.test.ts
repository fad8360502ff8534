import { Phase } from '../../src/ticket/phases';
import { PHASE_TASK_TEMPLATES, renderDescription } from '../../src/phase-work/templates';

describe('PHASE_TASK_TEMPLATES (seed 001, Stream F)', () => {
  it('has the seeds’ task types, priorities and capabilities per phase, then the orchestrator’s own tasks (issue 9)', () => {
    const summary = Object.fromEntries(
      Object.entries(PHASE_TASK_TEMPLATES).map(([phase, templates]) => [
        phase,
        templates.map((t) => `${t.taskType}/${t.priority}/${t.capabilities.join(',')}`),
      ]),
    );
    expect(summary).toEqual({
      [Phase.REQUIREMENTS]: ['analyze_requirements/HIGH/analysis', 'create_requirements_doc/MEDIUM/documentation'],
      [Phase.DESIGN]: ['design_architecture/HIGH/design'],
      [Phase.IMPLEMENTATION]: ['implement_feature/HIGH/implementation', 'verify_workspace/HIGH/'],
      [Phase.TESTING]: ['write_tests/HIGH/testing', 'run_tests/MEDIUM/testing', 'verify_workspace/MEDIUM/'],
      [Phase.DEPLOYMENT]: ['deploy_feature/CRITICAL/deployment', 'integrate_branch/CRITICAL/'],
    });
  });

  it('runs the orchestrator’s checks after the agents, and integration under the repository’s lock', () => {
    const of = (phase: Phase, type: string) => PHASE_TASK_TEMPLATES[phase]!.find((template) => template.taskType === type)!;
    expect(of(Phase.IMPLEMENTATION, 'verify_workspace').dependsOn).toEqual(['implement_feature']);
    expect(of(Phase.TESTING, 'verify_workspace').dependsOn).toEqual(['run_tests']);
    expect(of(Phase.DEPLOYMENT, 'integrate_branch')).toMatchObject({ dependsOn: ['deploy_feature'], resources: ['repo:{repository}'] });
  });
});

describe('renderDescription', () => {
  const ticket = { title: 'Agent Registry', description: 'Register agents' };

  it('substitutes the ticket title and description', () => {
    expect(renderDescription('Design architecture for: {ticket_title} ({ticket_description})', ticket)).toBe(
      'Design architecture for: Agent Registry (Register agents)',
    );
  });

  it('substitutes context values, joining lists', () => {
    expect(renderDescription('Honour {key_decisions}; budget {budget}', ticket, { key_decisions: ['use Temporal', 'use Prisma'], budget: 3 })).toBe(
      'Honour use Temporal; use Prisma; budget 3',
    );
  });

  it('leaves unknown placeholders visible and ticket fields win over context', () => {
    expect(renderDescription('{ticket_title} {missing}', ticket, { ticket_title: 'spoofed', missing: { nested: true } })).toBe('Agent Registry {missing}');
  });
});
