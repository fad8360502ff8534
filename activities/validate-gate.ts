/**
 * Validates a phase run's gate and persists the verdict (seed 002, Stream G: `validate_gate`,
 * `check_gate_requirements`, ValidationAgent): the pure evaluation of the run's artifacts and
 * tasks against the phase's requirements, plus the validation agent's opinion when it reviewed
 * the run.
 */
import type { Prisma, PrismaClient } from '@prisma/client';
import type { OrchestratorConfig } from '../src/agents/config';
import { evaluateGate, type GateEvaluation } from '../src/domain/gates';
import type { GateStatus } from '../src/domain/ticket-lifecycle';
import { TaskStatus } from '../src/domain/task';
import { createCollectArtifacts } from './collect-artifacts';
import type { StoredTaskResult } from './execute-task';
import { runArtifacts, runTasks, runWhere, VALIDATION_TASK_TYPE, type PhaseRunRef } from './phase-run';

/** Input of the `validateGate` activity. */
export interface ValidateGateInput extends PhaseRunRef {
  /** 1-based validation round of the run for this validator; with the run and validator, the key of the result. */
  attempt: number;
  /** Who validates: `workflow` (default, the ticket workflow's rounds) or `api`; each numbers its rounds. */
  validatedBy?: string;
  /**
   * Collect the run's artifacts first, as the `collectArtifacts` activity does (a round without a
   * validation agent then needs one activity less: issue 8 §2). Skipped when the round's verdict
   * is already persisted.
   */
  collectArtifacts?: boolean;
}

/** The persisted verdict. */
export interface GateVerdict extends GateEvaluation {
  status: Exclude<GateStatus, 'pending'>;
  attempt: number;
  /** The validation agent's opinion, when it reviewed this run. */
  validation: { approved: boolean; reasons: string[]; agent: string | null } | null;
}

/** The validation agent's opinion from its task, or a refusal when it did not complete. */
function validationOpinion(task: { status: string; result: unknown; error: string | null; assignedAgent: string | null } | null): GateVerdict['validation'] {
  if (!task) return null;
  if (task.status !== TaskStatus.COMPLETED) {
    return { approved: false, reasons: [`did not complete its review (${task.status}${task.error ? `: ${task.error}` : ''})`], agent: task.assignedAgent };
  }
  const output = ((task.result as StoredTaskResult | null)?.output ?? {}) as { approved?: unknown; reasons?: unknown };
  const reasons = Array.isArray(output.reasons) ? output.reasons.map(String) : [];
  return { approved: output.approved === true, reasons, agent: task.assignedAgent };
}

/**
 * Builds the `validateGate` activity. Idempotent: the result is keyed by (ticket, phase, entry,
 * validator, attempt), and a retry returns the verdict already stored for that round.
 *
 * @returns the verdict: `passed` when every requirement is met and the validation agent (if any)
 *   approved; else `failed` with one blocking reason per unmet criterion
 */
export function createValidateGate(prisma: PrismaClient, config: OrchestratorConfig) {
  const collectArtifacts = createCollectArtifacts(prisma);
  return async function validateGate(input: ValidateGateInput): Promise<GateVerdict> {
    const key = { ...runWhere(input), validatedBy: input.validatedBy ?? 'workflow', attempt: input.attempt };
    const existing = await prisma.phaseGateResult.findUnique({ where: { ticketId_phaseId_phaseEntry_validatedBy_attempt: key } });
    if (existing) return existing.validationResult as unknown as GateVerdict;
    if (input.collectArtifacts) await collectArtifacts(input);

    const [artifacts, tasks, validationTask] = await Promise.all([
      runArtifacts(prisma, input),
      runTasks(prisma, input),
      prisma.task.findFirst({ where: { ...runWhere(input), taskType: VALIDATION_TASK_TYPE } }),
    ]);
    const evaluation = evaluateGate(
      config.gateRequirements[input.phase],
      artifacts.map((artifact) => ({ type: artifact.artifactType, path: artifact.artifactPath, content: artifact.artifactContent })),
      tasks,
    );
    const validation = validationOpinion(validationTask);
    const blockingReasons = [...evaluation.blockingReasons];
    if (validation && !validation.approved) {
      blockingReasons.push(...(validation.reasons.length ? validation.reasons : ['not approved']).map((reason) => `validation_agent: ${reason}`));
    }
    const verdict: GateVerdict = {
      ...evaluation,
      requirementsMet: blockingReasons.length === 0,
      blockingReasons,
      status: blockingReasons.length === 0 ? 'passed' : 'failed',
      attempt: input.attempt,
      validation,
    };
    const row = await prisma.phaseGateResult.upsert({
      where: { ticketId_phaseId_phaseEntry_validatedBy_attempt: key },
      create: {
        ...key,
        gateStatus: verdict.status,
        validationResult: verdict as unknown as Prisma.InputJsonValue,
        validatedAt: new Date(),
        blockingReasons,
      },
      update: {},
    });
    return row.validationResult as unknown as GateVerdict;
  };
}
