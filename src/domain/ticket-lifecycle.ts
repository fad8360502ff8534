/**
 * A ticket's phase lifecycle as plain state plus the rules that change it (seed 002, Stream E:
 * `can_transition`, `transition_ticket`, `get_valid_transitions`). The ticket workflow holds one
 * instance and routes both transition messages (signal and update) through {@link TicketLifecycle.apply},
 * so the two paths cannot diverge. Pure and deterministic: time comes in as an argument.
 */
import { Phase, canTransition, isPhase, isTerminal, validTransitions } from './phases';
import { statusForPhase, type TicketStatus } from './ticket';
import type { TransitionOutcome, TransitionRecord, TransitionRejection, TransitionRequest } from './transition';

/** Everything needed to resume a lifecycle (workflow input, and continue-as-new later). */
export interface TicketLifecycleSnapshot {
  ticketId: string;
  phase: Phase;
  previousPhase: Phase | null;
  /** Accepted transitions, oldest first; `history.length` is the ticket's version. */
  history: TransitionRecord[];
  /** Refused transitions, oldest first. */
  rejections: TransitionRejection[];
}

/** The state a `getState` query returns (and the transition update answers with). */
export interface TicketState {
  ticketId: string;
  phase: Phase;
  previousPhase: Phase | null;
  status: TicketStatus;
  /** Number of accepted transitions; equals the sequence of the last one. */
  transitionCount: number;
  /** Number of refused transitions. */
  rejectedCount: number;
  validTransitions: Phase[];
  lastTransition: TransitionRecord | null;
  lastRejection: TransitionRejection | null;
}

/**
 * Why `from → toPhase` is refused (unknown target, terminal ticket, or not in PHASE_TRANSITIONS),
 * or `undefined` when it is allowed. The one source of refusal messages.
 */
export function transitionRefusal(from: Phase, toPhase: Phase): string | undefined {
  if (!isPhase(toPhase)) return `${JSON.stringify(toPhase)} is not a phase; valid targets: ${validTransitions(from).join(', ')}`;
  if (isTerminal(from)) return `ticket is in terminal phase ${from}; no transition is possible`;
  if (!canTransition(from, toPhase)) {
    return `${from} cannot move to ${toPhase}; valid targets: ${validTransitions(from).join(', ')}`;
  }
  return undefined;
}

/** Phase state of one ticket with request-ID deduplication. */
export class TicketLifecycle {
  private readonly outcomes = new Map<string, TransitionOutcome>();

  constructor(private readonly snapshot: TicketLifecycleSnapshot) {
    for (const record of snapshot.history) this.outcomes.set(record.requestId, { accepted: true, record });
    for (const rejection of snapshot.rejections) this.outcomes.set(rejection.requestId, { accepted: false, rejection });
  }

  /** A fresh lifecycle in `phase` (default BACKLOG) with no history. */
  static start(ticketId: string, phase: Phase = Phase.BACKLOG): TicketLifecycle {
    return new TicketLifecycle({ ticketId, phase, previousPhase: null, history: [], rejections: [] });
  }

  get phase(): Phase {
    return this.snapshot.phase;
  }

  get isDone(): boolean {
    return isTerminal(this.snapshot.phase);
  }

  /** The outcome already produced for `requestId`, if any. */
  outcomeOf(requestId: string): TransitionOutcome | undefined {
    return this.outcomes.get(requestId);
  }

  /**
   * Why `request` would be refused now, or `undefined` if it would be accepted or was seen before.
   * Used by the update validator, which must not change state.
   */
  refusalReason(request: TransitionRequest): string | undefined {
    if (this.outcomes.has(request.requestId)) return undefined;
    return transitionRefusal(this.snapshot.phase, request.toPhase);
  }

  /**
   * Applies `request` once: a request ID seen before returns its first outcome unchanged;
   * otherwise the transition is accepted (phase moves, a {@link TransitionRecord} is appended)
   * or rejected (a {@link TransitionRejection} is appended). Never throws.
   *
   * @param via how the request arrived, kept on rejections
   * @param now workflow time, ISO 8601
   */
  apply(request: TransitionRequest, via: TransitionRejection['via'], now: string): TransitionOutcome {
    const seen = this.outcomes.get(request.requestId);
    if (seen) return seen;
    const fromPhase = this.snapshot.phase;
    const refusal = transitionRefusal(this.snapshot.phase, request.toPhase);
    const outcome: TransitionOutcome = refusal
      ? {
          accepted: false,
          rejection: {
            requestId: request.requestId,
            fromPhase,
            toPhase: request.toPhase,
            reason: refusal,
            validTransitions: [...validTransitions(fromPhase)],
            via,
            occurredAt: now,
          },
        }
      : {
          accepted: true,
          record: {
            sequence: this.snapshot.history.length + 1,
            requestId: request.requestId,
            fromPhase,
            toPhase: request.toPhase,
            reason: request.reason ?? null,
            transitionedBy: request.transitionedBy ?? 'system',
            occurredAt: now,
          },
        };
    if (outcome.accepted) {
      this.snapshot.history.push(outcome.record);
      this.snapshot.previousPhase = fromPhase;
      this.snapshot.phase = request.toPhase;
    } else {
      this.snapshot.rejections.push(outcome.rejection);
    }
    this.outcomes.set(request.requestId, outcome);
    return outcome;
  }

  /** Current state for queries. */
  state(): TicketState {
    const { ticketId, phase, previousPhase, history, rejections } = this.snapshot;
    return {
      ticketId,
      phase,
      previousPhase,
      status: statusForPhase(phase),
      transitionCount: history.length,
      rejectedCount: rejections.length,
      validTransitions: [...validTransitions(phase)],
      lastTransition: history.at(-1) ?? null,
      lastRejection: rejections.at(-1) ?? null,
    };
  }

  /** Accepted transitions, oldest first (a copy). */
  history(): TransitionRecord[] {
    return [...this.snapshot.history];
  }
}
