/**
 * Signals, queries and updates of the ticket workflow, shared by the workflow and its clients
 * (API, tests). Seed 002, Stream E: transition, phase history, valid transitions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Phase } from '../../src/domain/phases';
import type { TicketState } from '../../src/domain/ticket-lifecycle';
import type { TransitionRecord, TransitionRequest } from '../../src/domain/transition';

/**
 * Fire-and-forget transition (what the Web UI's "send signal" and `temporal workflow signal` use).
 * An invalid one is logged and recorded as a rejection; it never fails the workflow.
 */
export const transitionSignal = defineSignal<[TransitionRequest]>('transition');

/**
 * Synchronous transition. The validator refuses an invalid target before anything reaches history
 * (ApplicationFailure of type `InvalidTransition`, details: fromPhase, toPhase, validTransitions).
 * Resolves with the ticket state once the transition is persisted.
 */
export const transitionUpdate = defineUpdate<TicketState, [TransitionRequest]>('transitionPhase');

/** Current phase, previous phase, status and counts. */
export const getStateQuery = defineQuery<TicketState>('getState');

/** Phases reachable from the current one. */
export const getValidTransitionsQuery = defineQuery<Phase[]>('getValidTransitions');

/** Accepted transitions, oldest first. */
export const getPhaseHistoryQuery = defineQuery<TransitionRecord[]>('getPhaseHistory');
