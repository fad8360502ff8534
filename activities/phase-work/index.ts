/**
 * The phase-work activities (seed 001/002, Streams F–H): thin adapters over the phase-work stores
 * (src/phase-work/*-store.ts), which hold the queries and are shared with the API. Each is
 * idempotent because its store call is; domain errors become the failure types of
 * src/phase-work/contracts.ts (activities/failures.ts). Activity names are the functions' names.
 */
import type { PrismaClient } from '@prisma/client';
import type { PhaseRunRef, PhaseWorkActivities, TaskOutcome, ValidateGateInput } from '../../src/phase-work/contracts';
import { DEFAULT_SUMMARY_TOKENS } from '../../src/phase-work/context-summary';
import { updateContext as storeContext } from '../../src/phase-work/context-store';
import type { GatePolicy } from '../../src/phase-work/gate-policy';
import { collectArtifacts as collect, validateGate as validate } from '../../src/phase-work/gate-store';
import { generateTasks as generate, planValidationTask as planValidation, recordTaskOutcome as recordOutcome } from '../../src/phase-work/task-store';
import { asActivity } from '../failures';

/** `generateTasks`: the run's tasks from the active templates. @throws ApplicationFailure TicketNotFound (non-retryable) */
export function createGenerateTasks(prisma: PrismaClient): PhaseWorkActivities['generateTasks'] {
  return async function generateTasks(run: PhaseRunRef) {
    return asActivity(() => generate(prisma, run));
  };
}

/**
 * `planValidationTask`: the run's `validate_phase` task, reset to pending, after collecting the
 * run's artifacts when asked (`collectArtifacts`). @throws ApplicationFailure TicketNotFound (non-retryable)
 */
export function createPlanValidationTask(prisma: PrismaClient): PhaseWorkActivities['planValidationTask'] {
  return async function planValidationTask({ collectArtifacts, ...run }: PhaseRunRef & { collectArtifacts?: boolean }) {
    if (collectArtifacts) await collect(prisma, run);
    return asActivity(() => planValidation(prisma, run));
  };
}

/** `recordTaskOutcome`: a task failed for good or was cancelled; its resources are released. */
export function createRecordTaskOutcome(prisma: PrismaClient): PhaseWorkActivities['recordTaskOutcome'] {
  return async function recordTaskOutcome(outcome: TaskOutcome) {
    return recordOutcome(prisma, outcome);
  };
}

/** `collectArtifacts`: the run's completed tasks' artifacts into `phase_gate_artifacts`. */
export function createCollectArtifacts(prisma: PrismaClient): PhaseWorkActivities['collectArtifacts'] {
  return async function collectArtifacts(run: PhaseRunRef) {
    return collect(prisma, run);
  };
}

/**
 * `validateGate`: the run's gate under `policy`, one persisted verdict per round, after collecting
 * the run's artifacts when asked (`collectArtifacts`; collecting again on a retry stores nothing twice).
 */
export function createValidateGate(prisma: PrismaClient, policy: GatePolicy): PhaseWorkActivities['validateGate'] {
  return async function validateGate(input: ValidateGateInput) {
    if (input.collectArtifacts) await collect(prisma, input);
    return validate(prisma, policy, input);
  };
}

/**
 * `updateContext`: the run's context and the ticket's summary within `maxTokens` cl100k_base tokens.
 * @throws ApplicationFailure TicketNotFound (non-retryable)
 */
export function createUpdateContext(prisma: PrismaClient, maxTokens = DEFAULT_SUMMARY_TOKENS): PhaseWorkActivities['updateContext'] {
  return async function updateContext(run: PhaseRunRef) {
    return asActivity(() => storeContext(prisma, run, maxTokens));
  };
}

/** Every phase-work activity, keyed by activity name. */
export function createPhaseWorkActivities(prisma: PrismaClient, policy: GatePolicy): PhaseWorkActivities {
  return {
    generateTasks: createGenerateTasks(prisma),
    planValidationTask: createPlanValidationTask(prisma),
    recordTaskOutcome: createRecordTaskOutcome(prisma),
    collectArtifacts: createCollectArtifacts(prisma),
    validateGate: createValidateGate(prisma, policy),
    updateContext: createUpdateContext(prisma),
  };
}
