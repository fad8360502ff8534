/**
 * The ticket phase state machine (seed 002, "Stream E: Phase Definitions & State Machine",
 * and seed 003, sub-task E1).
 *
 * Pure data and functions: imported by workflows (deterministic sandbox), activities and the
 * API alike, so this module must import nothing from Node, Prisma or Temporal.
 */

/** Every phase a ticket can be in; the string values are the seeds' exactly. */
export const Phase = {
  BACKLOG: 'PHASE_BACKLOG',
  REQUIREMENTS: 'PHASE_REQUIREMENTS',
  DESIGN: 'PHASE_DESIGN',
  IMPLEMENTATION: 'PHASE_IMPLEMENTATION',
  TESTING: 'PHASE_TESTING',
  DEPLOYMENT: 'PHASE_DEPLOYMENT',
  DONE: 'PHASE_DONE',
  BLOCKED: 'PHASE_BLOCKED',
} as const;

/** A phase value such as `"PHASE_TESTING"`. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** All phase values, for validation (zod enums, search-attribute checks). */
export const ALL_PHASES: readonly Phase[] = Object.values(Phase);

/** The happy path a ticket walks, in order (seed 003, E1: `PHASE_SEQUENCE`). BLOCKED is off-path. */
export const PHASE_SEQUENCE: readonly Phase[] = [
  Phase.BACKLOG,
  Phase.REQUIREMENTS,
  Phase.DESIGN,
  Phase.IMPLEMENTATION,
  Phase.TESTING,
  Phase.DEPLOYMENT,
  Phase.DONE,
];

/**
 * Valid transitions, from phase to the phases it may move to (seed 002, `PHASE_TRANSITIONS`):
 * the linear path, BLOCKED from every working phase, TESTING back to IMPLEMENTATION, BLOCKED
 * back to any working phase but BACKLOG and DEPLOYMENT, and DONE terminal.
 */
export const PHASE_TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  [Phase.BACKLOG]: [Phase.REQUIREMENTS],
  [Phase.REQUIREMENTS]: [Phase.DESIGN, Phase.BLOCKED],
  [Phase.DESIGN]: [Phase.IMPLEMENTATION, Phase.BLOCKED],
  [Phase.IMPLEMENTATION]: [Phase.TESTING, Phase.BLOCKED],
  [Phase.TESTING]: [Phase.DEPLOYMENT, Phase.IMPLEMENTATION, Phase.BLOCKED],
  [Phase.DEPLOYMENT]: [Phase.DONE, Phase.BLOCKED],
  [Phase.BLOCKED]: [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING],
  [Phase.DONE]: [],
};

/** True when `value` is one of the eight phase strings. */
export function isPhase(value: unknown): value is Phase {
  return typeof value === 'string' && (ALL_PHASES as readonly string[]).includes(value);
}

/** Phases reachable in one transition from `from` (seed 002, `get_valid_transitions`). */
export function validTransitions(from: Phase): readonly Phase[] {
  return PHASE_TRANSITIONS[from];
}

/** Whether `from → to` is allowed by {@link PHASE_TRANSITIONS} (seed 002, `can_transition`). */
export function canTransition(from: Phase, to: Phase): boolean {
  return PHASE_TRANSITIONS[from].includes(to);
}

/** True for the terminal phase: a ticket there accepts no further transition. */
export function isTerminal(phase: Phase): boolean {
  return PHASE_TRANSITIONS[phase].length === 0;
}

/**
 * The next phase on {@link PHASE_SEQUENCE} after `phase`, or `undefined` for DONE and for
 * BLOCKED (which is off the sequence).
 */
export function nextInSequence(phase: Phase): Phase | undefined {
  const index = PHASE_SEQUENCE.indexOf(phase);
  return index < 0 ? undefined : PHASE_SEQUENCE[index + 1];
}
