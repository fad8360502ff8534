/**
 * Phase task templates (seed 001/002, Stream F: `PHASE_TASK_TEMPLATES`) and the substitution of
 * their description templates. Pure module: no Node, Prisma or Temporal imports.
 */
import { Phase } from '../ticket/phases';
import type { Priority } from '../ticket/ticket';
import { INTEGRATE_TASK_TYPE, VERIFY_TASK_TYPE } from '../repositories/contracts';

/** One template: a task every ticket gets when it enters the phase. */
export interface TaskTemplate {
  taskType: string;
  /** Text with `{ticket_title}`, `{ticket_description}` and context placeholders. */
  descriptionTemplate: string;
  priority: Priority;
  /** Capabilities an agent needs for the task, e.g. `["analysis"]`. */
  capabilities: string[];
  /** Task types of the same phase that must complete first (the seed's `dependencies_template`). */
  dependsOn?: string[];
  /** Resources its tasks need alone; `{ticket_id}` and `{repository}` are substituted. */
  resources?: string[];
}

/**
 * The seeds' templates, exactly, plus the two dependencies their order implies (the document
 * builds on the analysis; the suite runs after the tests are written), and the orchestrator's own
 * tasks of issue 9, generated only for a ticket worked in a repository: `verify_workspace` after
 * the agents of IMPLEMENTATION and TESTING (the repository's own tests, run by the orchestrator),
 * `integrate_branch` after DEPLOYMENT's agent, holding the repository's lock. The database seeds
 * its TaskTemplate table from these.
 */
export const PHASE_TASK_TEMPLATES: Partial<Record<Phase, TaskTemplate[]>> = {
  [Phase.REQUIREMENTS]: [
    {
      taskType: 'analyze_requirements',
      descriptionTemplate: 'Analyze and clarify requirements for: {ticket_title}',
      priority: 'HIGH',
      capabilities: ['analysis'],
    },
    {
      taskType: 'create_requirements_doc',
      descriptionTemplate: 'Create requirements document for: {ticket_title}',
      priority: 'MEDIUM',
      capabilities: ['documentation'],
      dependsOn: ['analyze_requirements'],
    },
  ],
  [Phase.DESIGN]: [
    { taskType: 'design_architecture', descriptionTemplate: 'Design architecture for: {ticket_title}', priority: 'HIGH', capabilities: ['design'] },
  ],
  [Phase.IMPLEMENTATION]: [
    { taskType: 'implement_feature', descriptionTemplate: 'Implement feature: {ticket_title}', priority: 'HIGH', capabilities: ['implementation'] },
    {
      taskType: VERIFY_TASK_TYPE,
      descriptionTemplate: 'Run the repository checks on the implementation of: {ticket_title}',
      priority: 'HIGH',
      capabilities: [],
      dependsOn: ['implement_feature'],
    },
  ],
  [Phase.TESTING]: [
    { taskType: 'write_tests', descriptionTemplate: 'Write tests for: {ticket_title}', priority: 'HIGH', capabilities: ['testing'] },
    {
      taskType: 'run_tests',
      descriptionTemplate: 'Run test suite for: {ticket_title}',
      priority: 'MEDIUM',
      capabilities: ['testing'],
      dependsOn: ['write_tests'],
    },
    {
      taskType: VERIFY_TASK_TYPE,
      descriptionTemplate: 'Run the repository checks on the tests of: {ticket_title}',
      priority: 'MEDIUM',
      capabilities: [],
      dependsOn: ['run_tests'],
    },
  ],
  [Phase.DEPLOYMENT]: [
    { taskType: 'deploy_feature', descriptionTemplate: 'Deploy feature: {ticket_title}', priority: 'CRITICAL', capabilities: ['deployment'] },
    {
      taskType: INTEGRATE_TASK_TYPE,
      descriptionTemplate: 'Integrate the branch of: {ticket_title}',
      priority: 'CRITICAL',
      capabilities: [],
      dependsOn: ['deploy_feature'],
      resources: ['repo:{repository}'],
    },
  ],
};

/**
 * Fills a description template. `{ticket_title}` and `{ticket_description}` come from the ticket;
 * any other `{name}` from `context` (strings, numbers, booleans; lists joined with "; ").
 * A placeholder with no value is left as written, so a missing value is visible, never silent.
 */
export function renderDescription(template: string, ticket: { title: string; description: string }, context: Record<string, unknown> = {}): string {
  const values: Record<string, unknown> = { ...context, ticket_title: ticket.title, ticket_description: ticket.description };
  return template.replace(/\{([a-z0-9_]+)\}/gi, (placeholder, name: string) => {
    const value = values[name];
    if (Array.isArray(value)) return value.map(String).join('; ');
    return ['string', 'number', 'boolean'].includes(typeof value) ? String(value) : placeholder;
  });
}
