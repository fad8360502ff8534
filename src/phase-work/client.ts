/**
 * Phase work behind the REST API (seed 001/002, Streams F, G and H): a ticket's phase runs, their
 * tasks, gates and artifacts, and context. It calls the same stores the workflow's activities
 * call (so the API and the workflow cannot disagree) and tells the workflow about artifacts
 * supplied from outside. It knows nothing of HTTP. Tasks themselves: ./task-client.ts; task
 * templates: ./template-store.ts.
 */
import type { PrismaClient } from '@prisma/client';
import type { Client } from '@temporalio/client';
import type { TicketClient } from '../ticket/client';
import { Phase, nextInSequence } from '../ticket/phases';
import { artifactsChangedSignal } from '../../workflows/ticket/messages';
import type { ContextUpdate, GateVerdict, PhaseRunRef } from './contracts';
import { DEFAULT_SUMMARY_TOKENS, contextForPhase, summarizeContext, type TicketContext } from './context-summary';
import { updateContext } from './context-store';
import { PhaseWorkError } from './errors';
import { phaseGate, type GatePolicy } from './gate-policy';
import { collectArtifacts, storeArtifact, validateGate, type ArtifactInput } from './gate-store';
import { runWhere } from './run-store';
import { generateTasks, taskView, type TaskView } from './task-store';

/** Who the API's gate validations are recorded as (each validator numbers its own rounds). */
const API_VALIDATOR = 'api';

/** Phase-work operations on a ticket's runs. */
export class PhaseWorkClient {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly temporal: Client,
    private readonly tickets: TicketClient,
    private readonly policy: GatePolicy,
  ) {}

  /**
   * The run of `phase` (default: the run the workflow is working, or was blocked in): the current
   * run for its phase, else the latest entry of `phase` seen in tasks or history.
   *
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async run(ticketId: string, phase?: Phase): Promise<PhaseRunRef> {
    const state = await this.tickets.state(ticketId);
    if (!phase || phase === state.run.phase) return { ticketId, phase: state.run.phase, entry: state.run.entry };
    const task = await this.prisma.task.findFirst({ where: { ticketId, phaseId: phase }, orderBy: { phaseEntry: 'desc' } });
    if (task) return { ticketId, phase, entry: task.phaseEntry };
    const entered = await this.prisma.phaseHistory.findFirst({ where: { ticketId, toPhase: phase }, orderBy: { sequence: 'desc' } });
    if (entered) return { ticketId, phase, entry: entered.sequence };
    throw new PhaseWorkError('PHASE_NOT_ENTERED', `ticket ${ticketId} has never entered ${phase}`, { ticketId, phaseId: phase });
  }

  /**
   * Generates the tasks of a phase run from the active templates (idempotent: existing tasks are
   * returned as they are). @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async generateTasks(ticketId: string, phase?: Phase): Promise<TaskView[]> {
    const run = await this.run(ticketId, phase);
    await generateTasks(this.prisma, run);
    return this.runTasks(run);
  }

  /** A ticket's tasks, of one phase (its latest run) or all, oldest first. @throws TicketNotFoundError */
  async tasks(ticketId: string, phase?: Phase): Promise<TaskView[]> {
    await this.tickets.get(ticketId);
    if (!phase) {
      const rows = await this.prisma.task.findMany({ where: { ticketId }, orderBy: [{ phaseEntry: 'asc' }, { createdAt: 'asc' }, { taskType: 'asc' }] });
      return rows.map(taskView);
    }
    const latest = await this.prisma.task.findFirst({ where: { ticketId, phaseId: phase }, orderBy: { phaseEntry: 'desc' } });
    return latest ? this.runTasks({ ticketId, phase, entry: latest.phaseEntry }) : [];
  }

  private async runTasks(run: PhaseRunRef): Promise<TaskView[]> {
    const rows = await this.prisma.task.findMany({ where: runWhere(run), orderBy: [{ createdAt: 'asc' }, { taskType: 'asc' }] });
    return rows.map(taskView);
  }

  /**
   * Validates a phase run's gate now (validator `api`, its own round numbers) and persists the result.
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async validateGate(ticketId: string, phase?: Phase): Promise<GateVerdict & PhaseRunRef> {
    const run = await this.run(ticketId, phase);
    await collectArtifacts(this.prisma, run);
    const rounds = await this.prisma.phaseGateResult.count({ where: { ...runWhere(run), validatedBy: API_VALIDATOR } });
    return { ...run, ...(await validateGate(this.prisma, this.policy, { ...run, attempt: rounds + 1, validatedBy: API_VALIDATOR })) };
  }

  /** Every gate validation of the ticket, oldest first. @throws TicketNotFoundError */
  async gateResults(ticketId: string) {
    await this.tickets.get(ticketId);
    return this.prisma.phaseGateResult.findMany({ where: { ticketId }, orderBy: [{ validatedAt: 'asc' }] });
  }

  /** The gate of the current run: its live status, requirements, validation results and artifacts. @throws TicketNotFoundError */
  async gateStatus(ticketId: string) {
    const state = await this.tickets.state(ticketId);
    const run: PhaseRunRef = { ticketId, phase: state.run.phase, entry: state.run.entry };
    const [results, artifacts] = await Promise.all([
      this.prisma.phaseGateResult.findMany({ where: runWhere(run), orderBy: [{ validatedAt: 'asc' }] }),
      this.prisma.phaseGateArtifact.findMany({ where: runWhere(run), orderBy: [{ collectedAt: 'asc' }] }),
    ]);
    const gate = phaseGate(this.policy, run.phase);
    return {
      phaseId: run.phase,
      entry: run.entry,
      gate: state.run.gate,
      step: state.run.step,
      blocked: state.blocked,
      requirements: gate.requirements,
      validationAgent: gate.validationAgent,
      results,
      artifacts,
    };
  }

  /**
   * Stores an artifact a person or tool supplies for a phase run (default: the current one) and
   * tells the workflow, so a ticket blocked by that gate re-validates it.
   *
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED
   */
  async addArtifact(ticketId: string, phase: Phase | undefined, artifact: ArtifactInput) {
    const run = await this.run(ticketId, phase);
    const row = await storeArtifact(this.prisma, run, artifact);
    const ticket = await this.tickets.get(ticketId);
    if (ticket.phaseId !== Phase.DONE) {
      await this.temporal.workflow.getHandle(ticket.workflowId).signal(artifactsChangedSignal, { phase: run.phase, entry: run.entry });
    }
    return row;
  }

  /** The ticket's aggregated context, its summary and the per-run phase context rows. @throws TicketNotFoundError */
  async context(ticketId: string) {
    const ticket = await this.tickets.get(ticketId);
    const phases = await this.prisma.phaseContext.findMany({ where: { ticketId }, orderBy: [{ phaseEntry: 'asc' }] });
    return { context: ticket.context ?? {}, contextSummary: ticket.contextSummary, phases };
  }

  /**
   * The summary of what `phase` may see (default: the phase after the current run's), within
   * `maxTokens` cl100k_base tokens. @throws TicketNotFoundError
   */
  async contextSummary(ticketId: string, phase: Phase | undefined, maxTokens = DEFAULT_SUMMARY_TOKENS) {
    const ticket = await this.tickets.get(ticketId);
    let audience = phase;
    if (!audience) {
      const { run } = await this.tickets.state(ticketId);
      audience = nextInSequence(run.phase) ?? run.phase;
    }
    const { summary, tokens } = summarizeContext(contextForPhase((ticket.context ?? {}) as TicketContext, audience), maxTokens);
    return { phaseId: audience, summary, tokens, maxTokens };
  }

  /**
   * Re-aggregates a phase run's context from its completed tasks.
   * @throws TicketNotFoundError; PhaseWorkError PHASE_NOT_ENTERED; RowNotFoundError when the ticket row is gone
   */
  async updateContext(ticketId: string, phase?: Phase): Promise<ContextUpdate & { phaseId: Phase; entry: number }> {
    const run = await this.run(ticketId, phase);
    const update = await updateContext(this.prisma, run);
    return { ...update, phaseId: run.phase, entry: run.entry };
  }
}
