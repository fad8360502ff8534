/**
 * Phase work inside the ticket workflow, end to end on a real Temporal dev server, worker and
 * PostgreSQL, with real agent processes (the reference agent, and the fault agent of
 * test/fixtures/agents): task generation, agent execution, artifacts, gates, context, blocking
 * and unblocking, policies.
 */
import { storeArtifact } from '../../src/phase-work/gate-store';
import { loadOrchestratorConfig } from '../../src/agents/config';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import type { NewTicket } from '../../src/ticket/client';
import type { ticketWorkflow } from '../../workflows';
import { artifactsChangedSignal, getStateQuery, transitionUpdate } from '../../workflows/ticket/messages';
import { useTicketStack, waitForState } from '../helpers/temporal';
import { ALL_PHASE_TASKS, ORCHESTRATOR_TASK_TYPES, REVIEWED_TERSE_REQUIREMENTS, RICH_TICKET, TERSE_TICKET } from '../helpers/tickets';

const reference = loadOrchestratorConfig();
const stack = useTicketStack(reference);

const RICH = RICH_TICKET;
const TERSE = TERSE_TICKET;

async function start(ticket: NewTicket, overrides = {}) {
  const { ticket: row } = await stack.tickets(overrides).create(ticket);
  return { id: row.id, handle: stack.env.client.workflow.getHandle<typeof ticketWorkflow>(row.workflowId) };
}

describe('phase work', () => {
  it('takes a ticket from BACKLOG to DONE under the auto policy with agents, gates and context', async () => {
    const { id, handle } = await start({ ...RICH, externalId: 'RICH-1' });
    const final = await handle.result();
    expect(final).toMatchObject({ phase: Phase.DONE, status: 'done' });
    const history = await stack.db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => row.toPhase)).toEqual(PHASE_SEQUENCE.slice(1));
    expect(history.every((row) => row.transitionedBy === 'orchestrator')).toBe(true);

    const tasks = await stack.db.prisma.task.findMany({ where: { ticketId: id } });
    expect(tasks.map((task) => `${task.phaseId}/${task.taskType}`).sort()).toEqual(ALL_PHASE_TASKS);
    expect(tasks.every((task) => task.status === 'completed' && task.attempts === 1)).toBe(true);
    expect(tasks.every((task) => task.assignedAgent === (ORCHESTRATOR_TASK_TYPES.includes(task.taskType) ? 'orchestrator' : 'reference-agent'))).toBe(true);
    const analyze = tasks.find((task) => task.taskType === 'analyze_requirements')!;
    const document = tasks.find((task) => task.taskType === 'create_requirements_doc')!;
    expect(document.dependencies).toEqual([analyze.id]);
    expect(document.startedAt!.getTime()).toBeGreaterThanOrEqual(analyze.completedAt!.getTime());

    const gates = await stack.db.prisma.phaseGateResult.findMany({ where: { ticketId: id } });
    const verdicts = Object.fromEntries(gates.map((gate) => [gate.phaseId, gate.gateStatus]));
    expect(verdicts).toMatchObject({ PHASE_REQUIREMENTS: 'passed', PHASE_IMPLEMENTATION: 'passed', PHASE_TESTING: 'passed' });
    const testing = gates.find((gate) => gate.phaseId === Phase.TESTING)!.validationResult as { validation: { approved: boolean } };
    expect(testing.validation.approved).toBe(true);

    const artifacts = await stack.db.prisma.phaseGateArtifact.findMany({ where: { ticketId: id } });
    const coverage = artifacts.find((a) => a.phaseId === Phase.IMPLEMENTATION && a.artifactType === 'test_coverage')!;
    expect((coverage.artifactContent as { percentage: number }).percentage).toBeGreaterThanOrEqual(80);
    const results = artifacts.find((a) => a.artifactType === 'test_results')!.artifactContent as { numPassedTests: number; numFailedTests: number };
    expect(results.numPassedTests).toBeGreaterThan(0);
    expect(results.numFailedTests).toBe(0);

    const ticket = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
    // Worked in the example repository (the configuration's default): its branch merged at DEPLOYMENT.
    expect(ticket).toMatchObject({ repositoryName: 'example', branch: 'tickets/RICH-1' });
    expect(ticket.mergeCommit).toMatch(/^[0-9a-f]{40}$/);
    const context = ticket.context as Record<string, unknown>;
    expect(Object.keys(context)).toEqual(
      expect.arrayContaining(['requirements_phase', 'design_phase', 'implementation_phase', 'testing_phase', 'deployment_phase', 'summary']),
    );
    expect(ticket.contextSummary).toContain('Acceptance criterion (requirements phase): Circular dependency detection');
    const contexts = await stack.db.prisma.phaseContext.findMany({ where: { ticketId: id } });
    expect(contexts).toHaveLength(5);
    expect(contexts.every((row) => row.summaryTokens > 0 && row.summaryTokens <= 2000)).toBe(true);
  });

  it('blocks a ticket whose requirements document is too short, then resumes it when a person supplies one', async () => {
    const { id, handle } = await start({ ...TERSE, externalId: 'TERSE-1' });
    const blocked = await waitForState(handle, (state) => state.phase === Phase.BLOCKED);
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, cause: 'gate' });
    expect(blocked.blocked!.reason).toMatch(/requirements_document: minLength 500 not met \(\d+ characters\)/);
    const failed = await stack.db.prisma.phaseGateResult.findMany({ where: { ticketId: id }, orderBy: { attempt: 'asc' } });
    expect(failed.map((row) => [row.attempt, row.gateStatus])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect((await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id } })).blockedReason).toContain('minLength 500');

    const text = REVIEWED_TERSE_REQUIREMENTS;
    await storeArtifact(
      stack.db.prisma,
      { ticketId: id, phase: Phase.REQUIREMENTS, entry: blocked.run.entry },
      {
        artifactType: 'requirements_document',
        artifactPath: 'docs/requirements-reviewed.md',
        content: { text, format: 'markdown' },
        collectedBy: 'reviewer@example.com',
      },
    );
    await handle.signal(artifactsChangedSignal, { phase: Phase.REQUIREMENTS, entry: blocked.run.entry });
    const final = await handle.result();
    expect(final.phase).toBe(Phase.DONE);
    const history = await stack.db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => row.toPhase).slice(0, 4)).toEqual([Phase.REQUIREMENTS, Phase.BLOCKED, Phase.REQUIREMENTS, Phase.DESIGN]);
    expect(history[2]!.transitionReason).toContain('passed after new artifacts');
    // The resumed run kept its tasks: nothing of REQUIREMENTS ran twice.
    const requirementTasks = await stack.db.prisma.task.findMany({ where: { ticketId: id, phaseId: Phase.REQUIREMENTS, taskType: { not: 'validate_phase' } } });
    expect(requirementTasks.every((task) => task.attempts === 1 && task.phaseEntry === 1)).toBe(true);
  });

  it('under the manual policy works the phase, then waits for a transition after the gate passed', async () => {
    const { handle } = await start({ ...RICH, externalId: 'MANUAL-1', policy: 'manual' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await handle.query(getStateQuery)).phase).toBe(Phase.BACKLOG);
    await handle.executeUpdate(transitionUpdate, { args: [{ toPhase: Phase.REQUIREMENTS, requestId: 'm-1' }] });
    const waiting = await waitForState(handle, (state) => state.run.step === 'complete');
    expect(waiting).toMatchObject({ phase: Phase.REQUIREMENTS, policy: 'manual', run: { gate: { status: 'passed' } } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await handle.query(getStateQuery)).phase).toBe(Phase.REQUIREMENTS);
    const moved = await handle.executeUpdate(transitionUpdate, { args: [{ toPhase: Phase.DESIGN, requestId: 'm-2' }] });
    expect(moved.phase).toBe(Phase.DESIGN);
  });
});
