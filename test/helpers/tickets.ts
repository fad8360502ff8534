/** Tickets the tests reuse, and what the reference agent makes of them. */
import type { NewTicket } from '../../src/ticket/client';

/** A roadmap ticket (seed 004, milestone 1.1) whose requirements document passes its gate. */
export const RICH_TICKET: NewTicket = {
  title: 'Task Dependencies & Blocking',
  description:
    'Deliverables:\n- Add `dependencies` JSONB field to Task model\n- Implement dependency resolution in TaskQueueService\n- Add `blocked_by` and `blocks` relationships\n- Tests: Task dependency resolution, blocking detection',
  acceptanceCriteria: [
    'Can create tasks with dependencies',
    'Tasks only assigned when dependencies complete',
    'Circular dependency detection',
    'All tests pass',
  ],
  priority: 'HIGH',
};

/** A terse ticket whose requirements document comes out too short for its gate. */
export const TERSE_TICKET: NewTicket = { title: 'Fix typo', description: 'Typo in header', acceptanceCriteria: ['Header reads correctly'], priority: 'LOW' };

/**
 * `<phase>/<task type>` of every task a ticket gets on its way to PHASE_DONE with the repository's
 * configuration (worked in the example repository: the orchestrator's own checks and integration
 * included), sorted.
 */
export const ALL_PHASE_TASKS = [
  'PHASE_REQUIREMENTS/analyze_requirements',
  'PHASE_REQUIREMENTS/create_requirements_doc',
  'PHASE_REQUIREMENTS/validate_phase',
  'PHASE_DESIGN/design_architecture',
  'PHASE_IMPLEMENTATION/implement_feature',
  'PHASE_IMPLEMENTATION/verify_workspace',
  'PHASE_TESTING/write_tests',
  'PHASE_TESTING/run_tests',
  'PHASE_TESTING/verify_workspace',
  'PHASE_TESTING/validate_phase',
  'PHASE_DEPLOYMENT/deploy_feature',
  'PHASE_DEPLOYMENT/integrate_branch',
].sort();

/** The task types the orchestrator runs itself (issue 9) rather than an agent. */
export const ORCHESTRATOR_TASK_TYPES = ['verify_workspace', 'integrate_branch'];

/** A requirements document a person supplies for {@link TERSE_TICKET}: long enough, with both sections and the criterion. */
export const REVIEWED_TERSE_REQUIREMENTS = [
  '# Requirements: Fix typo',
  '## Scope',
  'The page header of the dashboard shows "Dashbaord". Correct the spelling in the header template and in the page title; no other copy changes.',
  '## Acceptance Criteria',
  '- Header reads correctly: the header and the browser title both read "Dashboard" in every supported locale.',
  '## Notes',
  'Reviewed by the product owner; the string is not translated, so one template change covers every locale. A snapshot test guards the header against regressions, and the release notes mention the fix.',
  '## Out of scope',
  'Other typos on the page, and the footer, which comes from a separate template owned by another team.',
].join('\n\n');
