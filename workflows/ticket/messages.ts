/**
 * Signals, queries and updates of the ticket workflow, shared by the workflow and its clients
 * (API, tests). Seed 002, Streams E (transition, phase history, valid transitions) and G
 * (artifacts supplied from outside re-open a blocked gate).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Phase } from '../../src/ticket/phases';
import type { TaskStatus } from '../../src/phase-work/tasks';
import type { TicketState } from '../../src/ticket/lifecycle';
import type { TicketPolicy } from '../../src/ticket/settings';
import type { SlaStatus } from '../../src/ticket/sla';
import type { TransitionRecord, TransitionRequest } from '../../src/ticket/transition';

/** The workflow's view of a ticket: lifecycle state, policy, the current run's tasks and the phase's SLA. */
export interface TicketWorkflowState extends TicketState {
  policy: TicketPolicy;
  /** Tasks of the current phase run (when blocked: of the run it was blocked in). */
  tasks: { id: string; taskType: string; status: TaskStatus }[];
  /** The current phase entry against its SLA (issue 11); null when the phase has none. */
  sla: SlaStatus | null;
}

/**
 * Fire-and-forget transition (what the Web UI's "send signal" and `temporal workflow signal` use).
 * An invalid one is logged and recorded as a rejection; it never fails the workflow.
 */
export const transitionSignal = defineSignal<[TransitionRequest]>('transition');

/**
 * Synchronous transition. Resolves with the ticket state once the transition is persisted; an
 * invalid target, or a move past a gate that has not passed, is recorded as a rejection and fails
 * the update (ApplicationFailure of type `InvalidTransition` or `GateNotPassed`, details:
 * fromPhase, toPhase, validTransitions, blockingReasons). A request ID's first outcome is final.
 */
export const transitionUpdate = defineUpdate<TicketWorkflowState, [TransitionRequest]>('transitionPhase');

/**
 * New artifacts were stored for the run the ticket is blocked in (POST /tickets/:id/artifacts):
 * a ticket blocked by its gate re-validates it and resumes the phase when it passes.
 */
export const artifactsChangedSignal = defineSignal<[{ phase: Phase; entry: number }]>('artifactsChanged');

/**
 * Cancels the ticket: the running phase work stops (agent processes are killed), unfinished tasks
 * are marked cancelled, and the ticket ends in status `cancelled` with the reason. Final.
 */
export const cancelTicketSignal = defineSignal<[{ reason: string; requestedBy?: string }]>('cancelTicket');

/**
 * Cancels one running or pending task of the current phase run: its agent is stopped and the run
 * fails with that reason, so the ticket is blocked until a transition resumes it.
 */
export const cancelTaskSignal = defineSignal<[{ taskId: string; reason: string }]>('cancelTask');

/** What a `PATCH /tickets/:id` changed (issue 11), as the `ticketUpdated` signal carries it. */
export interface TicketUpdate {
  /** The fields changed, e.g. `["acceptanceCriteria"]`. */
  fields: string[];
  /** Who changed them (recorded as the resuming transition's `transitionedBy`). */
  updatedBy: string;
  /** Unique per PATCH: the resuming transition's request ID derives from it, so a repeated signal applies once. */
  requestId: string;
}

/**
 * The ticket's row was changed (PATCH /tickets/:id, issue 11). A ticket blocked with cause
 * `needs_clarification` re-enters the phase it was blocked in with a new run (new tasks, which read
 * the changed ticket); the transition names who and which fields. Otherwise ignored.
 */
export const ticketUpdatedSignal = defineSignal<[TicketUpdate]>('ticketUpdated');

/** Dependencies of the current run's tasks changed (POST /tasks/:id/dependencies): re-plan before starting more. */
export const tasksChangedSignal = defineSignal('tasksChanged');

/** Current phase, previous phase, status, run, gate, block and tasks. */
export const getStateQuery = defineQuery<TicketWorkflowState>('getState');

/** Phases reachable from the current one. */
export const getValidTransitionsQuery = defineQuery<Phase[]>('getValidTransitions');

/** Accepted transitions, oldest first. */
export const getPhaseHistoryQuery = defineQuery<TransitionRecord[]>('getPhaseHistory');
