/**
 * The gate policy of every phase in one place (seed 001/002, Stream G; issue 8 §5): what a phase
 * must produce (the seeds' `PHASE_GATE_REQUIREMENTS` plus a deployment's own `gates` from
 * `config/orchestrator.json`), whether the validation agent gives its second opinion
 * (`validationPhases`), and hence which phases are gated (a transition to the next phase waits
 * for the gate). The workflow receives the gated and validation phases in its settings
 * (src/ticket/settings.ts); the gate-validation activity and the API read them from here.
 */
import { z } from 'zod';
import { ALL_PHASES, Phase } from '../ticket/phases';
import { PHASE_GATE_REQUIREMENTS, extendGateRequirements, type GateRequirement, type GateRequirements } from './gates';

/** Capability the validation agent's `validate_phase` tasks require. */
export const VALIDATION_CAPABILITY = 'validation';

const criteria = z.strictObject({
  minLength: z.number().int().nonnegative().optional(),
  requiredSections: z.array(z.string().min(1)).optional(),
  minPercentage: z.number().min(0).max(100).optional(),
  mustHaveTests: z.boolean().optional(),
  allPassed: z.boolean().optional(),
  nonEmptySections: z.array(z.string().min(1)).optional(),
});

const gate = z.strictObject({
  requiredArtifacts: z.array(z.string().min(1)).default([]),
  requiredTasksCompleted: z.boolean().default(false),
  validationCriteria: z.record(z.string(), criteria).default({}),
  ticketAcceptanceCriteria: z.boolean().optional(),
});

/** Schema of the configuration file's `gates` entry: requirements added to the seeds', phase by phase. */
export const gateOverridesSchema = z.partialRecord(z.enum(Phase), gate).default({});

/** Schema of the configuration file's `validationPhases` entry. */
export const validationPhasesSchema = z.array(z.enum(Phase)).default([]);

/** The gate policy of all phases. */
export interface GatePolicy {
  /** Requirements per phase: the seeds' merged with the deployment's. */
  gateRequirements: GateRequirements;
  /** Phases whose gate validation also runs the validation agent (a `validate_phase` task). */
  validationPhases: Phase[];
}

/** The policy from the configuration file's `gates` (extra requirements) and `validationPhases`. */
export function gatePolicy(gates: GateRequirements, validationPhases: Phase[]): GatePolicy {
  return { gateRequirements: extendGateRequirements(PHASE_GATE_REQUIREMENTS, gates), validationPhases };
}

/** The gate of one phase. */
export interface PhaseGate {
  /** What the phase must produce; null: no requirements. */
  requirements: GateRequirement | null;
  /** Whether the validation agent reviews the phase's work. */
  validationAgent: boolean;
  /** Whether leaving the phase for the next one waits for the gate (requirements or a validation agent). */
  gated: boolean;
}

/** The gate of `phase` under `policy`. */
export function phaseGate(policy: GatePolicy, phase: Phase): PhaseGate {
  const requirements = policy.gateRequirements[phase] ?? null;
  const validationAgent = policy.validationPhases.includes(phase);
  return { requirements, validationAgent, gated: requirements !== null || validationAgent };
}

/** Phases whose gate must pass before the next phase: those with requirements or a validation agent. */
export function gatedPhases(policy: GatePolicy): Phase[] {
  return ALL_PHASES.filter((phase) => phaseGate(policy, phase).gated);
}
