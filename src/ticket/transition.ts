/**
 * Phase transition messages and their outcomes, shared by the ticket workflow, its persistence
 * activity and the API (seed 002, Stream E: `transition_ticket`, `phase_history`).
 * Pure module: no Node, Prisma or Temporal imports.
 */
import type { Phase } from './phases';

/** A request to move a ticket to `toPhase`; carried by the `transition` signal and update. */
export interface TransitionRequest {
  /** Target phase. */
  toPhase: Phase;
  /** Why the transition is made (free text, stored in phase history). */
  reason?: string;
  /** Who asks: an agent ID, a user ID or `"system"`. */
  transitionedBy?: string;
  /** Client-chosen idempotency key: a request ID seen before is applied once. */
  requestId: string;
}

/** An accepted transition as the workflow recorded it; one phase-history row each. */
export interface TransitionRecord {
  /** 1-based position among the ticket's accepted transitions (the ticket's version after it). */
  sequence: number;
  requestId: string;
  fromPhase: Phase;
  toPhase: Phase;
  reason: string | null;
  transitionedBy: string;
  /** Workflow time at acceptance, ISO 8601. */
  occurredAt: string;
}

/**
 * Why a transition was refused: {@link INVALID_TRANSITION} (not allowed by the state machine) or
 * {@link GATE_NOT_PASSED} (allowed, but the gate of the phase being left has not passed).
 */
export type RefusalCode = typeof INVALID_TRANSITION | typeof GATE_NOT_PASSED;

/** A transition the workflow refused (invalid target, terminal ticket, or a gate not passed). */
export interface TransitionRejection {
  requestId: string;
  code: RefusalCode;
  fromPhase: Phase;
  toPhase: Phase;
  /** Human-readable reason, e.g. "PHASE_BACKLOG cannot move to PHASE_DONE". */
  reason: string;
  /** Phases the ticket could have moved to instead. */
  validTransitions: Phase[];
  /** For {@link GATE_NOT_PASSED}: the gate's blocking reasons (each names the artifact and criterion). */
  blockingReasons: string[];
  /** `signal` or `update`: how the request arrived. */
  via: 'signal' | 'update';
  /** Workflow time at rejection, ISO 8601. */
  occurredAt: string;
}

/** What applying a request produced: the accepted record, or the rejection. */
export type TransitionOutcome = { accepted: true; record: TransitionRecord } | { accepted: false; rejection: TransitionRejection };

/** Failure type name of an invalid transition (ApplicationFailure.type; the API maps it to 409). */
export const INVALID_TRANSITION = 'InvalidTransition';

/**
 * Failure type name of a transition out of a phase whose gate has not passed (seed 002, Stream G:
 * "gates can block transitions"; the API maps it to 409 `GATE_NOT_PASSED`).
 */
export const GATE_NOT_PASSED = 'GateNotPassed';

/** Details attached to an {@link INVALID_TRANSITION} or {@link GATE_NOT_PASSED} failure. */
export interface InvalidTransitionDetails {
  fromPhase: Phase;
  toPhase: Phase;
  validTransitions: Phase[];
  /** Gate blocking reasons; empty for {@link INVALID_TRANSITION}. */
  blockingReasons: string[];
}
