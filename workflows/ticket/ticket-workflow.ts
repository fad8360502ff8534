/**
 * The ticket workflow: one long-lived workflow per ticket (ID `ticket-<ticketId>`) that owns the
 * ticket's phase (seed 002, Stream E). Transitions arrive as a signal or an update and share one
 * code path; each accepted one is persisted by the `recordTransition` activity and mirrored in the
 * `TicketPhase` search attribute. The workflow completes when the ticket reaches PHASE_DONE.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { TicketActivities } from '../../activities';
import { TicketLifecycle, type TicketState } from '../../src/domain/ticket-lifecycle';
import {
  INVALID_TRANSITION,
  type InvalidTransitionDetails,
  type TransitionOutcome,
  type TransitionRejection,
  type TransitionRequest,
} from '../../src/domain/transition';
import { TicketPhase } from '../../src/temporal/search-attributes';
import {
  getPhaseHistoryQuery,
  getStateQuery,
  getValidTransitionsQuery,
  transitionSignal,
  transitionUpdate,
} from './messages';

/** Start argument of {@link ticketWorkflow}. */
export interface TicketWorkflowInput {
  /** The ticket's database ID (UUID). */
  ticketId: string;
}

const { recordTransition } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    // Unlimited attempts: a database outage delays persistence, it never loses a transition.
    nonRetryableErrorTypes: ['TicketNotFound'],
  },
});

/** The failure an update caller receives for a refused transition (the API maps it to 409). */
function invalidTransitionFailure(rejection: Pick<TransitionRejection, 'fromPhase' | 'toPhase' | 'reason' | 'validTransitions'>) {
  const details: InvalidTransitionDetails = {
    fromPhase: rejection.fromPhase,
    toPhase: rejection.toPhase,
    validTransitions: rejection.validTransitions,
  };
  return ApplicationFailure.create({ type: INVALID_TRANSITION, message: rejection.reason, details: [details], nonRetryable: true });
}

/**
 * Reads a transition payload defensively (a signal typed into the Web UI may be anything) and fills
 * in a missing request ID deterministically. An unknown `toPhase` is kept, to be refused with a reason.
 */
function normalizeRequest(raw: unknown): TransitionRequest {
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<Record<keyof TransitionRequest, unknown>>;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    toPhase: body.toPhase as TransitionRequest['toPhase'],
    reason: text(body.reason),
    transitionedBy: text(body.transitionedBy),
    requestId: text(body.requestId) ?? uuid4(),
  };
}

/**
 * Runs a ticket from its current phase to PHASE_DONE.
 *
 * @returns the final ticket state (phase PHASE_DONE).
 */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<TicketState> {
  const lifecycle = TicketLifecycle.start(ticketId);
  const persisting = new Map<string, Promise<void>>();

  /** The one code path of both transition messages: apply once, persist, mirror in the search attribute. */
  async function applyTransition(request: TransitionRequest, via: TransitionRejection['via']): Promise<TransitionOutcome> {
    const seenBefore = lifecycle.outcomeOf(request.requestId) !== undefined;
    const outcome = lifecycle.apply(request, via, new Date().toISOString());
    if (seenBefore) {
      await persisting.get(request.requestId);
      return outcome;
    }
    if (!outcome.accepted) {
      log.warn('transition rejected', { ...outcome.rejection });
      return outcome;
    }
    upsertSearchAttributes([{ key: TicketPhase, value: outcome.record.toPhase }]);
    const persisted = recordTransition({ ticketId, record: outcome.record }).then(() => undefined);
    persisting.set(request.requestId, persisted);
    await persisted;
    log.info('transition applied', { ...outcome.record });
    return outcome;
  }

  setHandler(transitionSignal, async (request) => {
    await applyTransition(normalizeRequest(request), 'signal');
  });

  setHandler(
    transitionUpdate,
    async (request) => {
      const outcome = await applyTransition(normalizeRequest(request), 'update');
      if (!outcome.accepted) throw invalidTransitionFailure(outcome.rejection);
      return lifecycle.state();
    },
    {
      // Validators do not run on replay, so this one must not touch state or randomness.
      validator: (request) => {
        const reason = lifecycle.refusalReason((request ?? {}) as TransitionRequest);
        if (reason) {
          throw invalidTransitionFailure({
            fromPhase: lifecycle.phase,
            toPhase: request?.toPhase,
            reason,
            validTransitions: lifecycle.state().validTransitions,
          });
        }
      },
    },
  );

  setHandler(getStateQuery, () => lifecycle.state());
  setHandler(getValidTransitionsQuery, () => lifecycle.state().validTransitions);
  setHandler(getPhaseHistoryQuery, () => lifecycle.history());

  await condition(() => lifecycle.isDone);
  await condition(allHandlersFinished);
  return lifecycle.state();
}
