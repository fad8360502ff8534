/**
 * A ticket's phase lifecycle as plain state plus the rules that change it (seed 002, Stream E:
 * `can_transition`, `transition_ticket`, `get_valid_transitions`). The ticket workflow holds one
 * instance and routes both transition messages (signal and update) through {@link TicketLifecycle.apply},
 * so the two paths cannot diverge. Pure and deterministic: time comes in as an argument.
 */
import { PHASE_SEQUENCE, Phase, canTransition, isPhase, isTerminal, nextInSequence, validTransitions } from './phases';
import { statusForPhase, TicketStatus } from './ticket';
import {
  GATE_NOT_PASSED,
  INVALID_TRANSITION,
  type RefusalCode,
  type TransitionOutcome,
  type TransitionRecord,
  type TransitionRejection,
  type TransitionRequest,
} from './transition';

/** Verdict of a phase gate: `pending` until validated (work in progress), then `passed` or `failed`. */
export type GateStatus = 'pending' | 'passed' | 'failed';

/** Where a phase run's work stands (shown by the `getState` query and in the Web UI). */
export type PhaseRunStep = 'generating_tasks' | 'running_tasks' | 'collecting_artifacts' | 'validating_gate' | 'updating_context' | 'complete' | 'failed';

/**
 * One run of a phase's work. A run begins when a transition enters the phase and is identified by
 * that transition's sequence (`entry`); tasks, artifacts, gate results and context rows carry it.
 * Leaving for PHASE_BLOCKED and coming back to the same phase resumes the same run (after a block
 * for clarification it starts a new one).
 */
export interface PhaseRun {
  phase: Phase;
  entry: number;
  step: PhaseRunStep;
  gate: { status: GateStatus; blockingReasons: string[] };
  /** Gate validations the workflow has run for this run (the round number of the next is one more). */
  gateRounds: number;
}

/** Why and from where the ticket is blocked. */
export interface BlockedState {
  /** The phase the ticket was blocked in; resuming it continues the same run. */
  fromPhase: Phase;
  entry: number;
  /**
   * `gate`: the gate still failed after its retries; `task`: a task failed for good; `manual`: a
   * transition; `escalation`: the phase's SLA was overstayed and its action is `block` (issue 11);
   * `needs_clarification` (issue 11): the gate could not check the work (no acceptance criteria): a
   * person answers {@link question}, and re-entering the phase starts a new run.
   */
  cause: BlockCause;
  reason: string;
  /** The question a person must answer (cause `needs_clarification` only). */
  question?: string;
}

/** Why a ticket is blocked (see {@link BlockedState.cause}). */
export type BlockCause = 'gate' | 'task' | 'manual' | 'escalation' | 'needs_clarification';

/** Why a ticket was cancelled: a final state, whatever its phase. */
export interface Cancellation {
  reason: string;
  requestedBy: string;
  /** Workflow time, ISO 8601. */
  at: string;
}

/**
 * Outcomes of requests older than the snapshot's windows, kept compact so a ticket's
 * continue-as-new input stays small however long it lives, while a repeated request ID is still
 * answered with its first outcome: accepted as `[sequence, fromPhase, toPhase]`, refused as
 * `[code, reason]`.
 */
export interface EarlierOutcomes {
  accepted: Record<string, [number, Phase, Phase]>;
  refused: Record<string, [RefusalCode, string]>;
}

/** Everything needed to resume a lifecycle (workflow input after continue-as-new). */
export interface TicketLifecycleSnapshot {
  ticketId: string;
  phase: Phase;
  previousPhase: Phase | null;
  /** The latest accepted transitions, oldest first (all of them until {@link TicketLifecycle.compacted}). */
  history: TransitionRecord[];
  /** The latest refused transitions, oldest first. */
  rejections: TransitionRejection[];
  /** Accepted transitions in the ticket's whole life (its version). */
  transitionCount: number;
  /** Refused transitions in the ticket's whole life. */
  rejectedCount: number;
  earlier: EarlierOutcomes;
  /** Phases whose gate must pass before moving to the next phase of PHASE_SEQUENCE. */
  gatedPhases: Phase[];
  /** The current phase run (when blocked: the run of the phase the ticket was blocked in). */
  run: PhaseRun;
  blocked: BlockedState | null;
  cancelled: Cancellation | null;
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
  run: PhaseRun;
  blocked: BlockedState | null;
  cancelled: Cancellation | null;
}

/** A refusal: its failure code, message and, for a gate, the blocking reasons. */
export interface Refusal {
  code: RefusalCode;
  reason: string;
  blockingReasons: string[];
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

/**
 * The refusal of a move past a gate that has not passed: from a gated phase to the next phase of
 * PHASE_SEQUENCE, or from BLOCKED (blocked in a gated phase) to a phase after that one. Moving back,
 * to BLOCKED, or to the same phase is never gated. `undefined` when no gate stands in the way.
 */
export function gateRefusal(from: Phase, to: Phase, gatedPhases: readonly Phase[], run: PhaseRun, blocked: BlockedState | null = null): Refusal | undefined {
  const gated = from === Phase.BLOCKED ? blocked?.fromPhase : from;
  if (!gated || !gatedPhases.includes(gated) || run.gate.status === 'passed') return undefined;
  const past = from === Phase.BLOCKED ? PHASE_SEQUENCE.indexOf(to) > PHASE_SEQUENCE.indexOf(gated) : nextInSequence(from) === to;
  if (!past) return undefined;
  const blockingReasons = run.gate.status === 'failed' ? [...run.gate.blockingReasons] : [];
  const why = run.gate.status === 'failed' ? `it failed: ${blockingReasons.join('; ')}` : `it is not validated yet (phase work: ${run.step})`;
  return { code: GATE_NOT_PASSED, reason: `the gate of ${gated} has not passed, so the ticket cannot move to ${to}; ${why}`, blockingReasons };
}

/** Phase state of one ticket with request-ID deduplication and gated moves. */
export class TicketLifecycle {
  private readonly outcomes = new Map<string, TransitionOutcome>();

  constructor(private readonly snapshot: TicketLifecycleSnapshot) {
    for (const record of snapshot.history) this.outcomes.set(record.requestId, { accepted: true, record });
    for (const rejection of snapshot.rejections) this.outcomes.set(rejection.requestId, { accepted: false, rejection });
  }

  /** A fresh lifecycle in `phase` (default BACKLOG) with no history; `gatedPhases` default to none. */
  static start(ticketId: string, phase: Phase = Phase.BACKLOG, gatedPhases: readonly Phase[] = []): TicketLifecycle {
    return new TicketLifecycle({
      ticketId,
      phase,
      previousPhase: null,
      history: [],
      rejections: [],
      transitionCount: 0,
      rejectedCount: 0,
      earlier: { accepted: {}, refused: {} },
      gatedPhases: [...gatedPhases],
      run: { phase, entry: 0, step: 'generating_tasks', gate: { status: 'pending', blockingReasons: [] }, gateRounds: 0 },
      blocked: null,
      cancelled: null,
    });
  }

  /** The current phase run (mutable by the workflow as its work proceeds). */
  get run(): PhaseRun {
    return this.snapshot.run;
  }

  get blocked(): BlockedState | null {
    return this.snapshot.blocked;
  }

  /** Records the gate verdict of the current run. */
  recordGate(status: GateStatus, blockingReasons: string[] = []): void {
    this.snapshot.run.gate = { status, blockingReasons: [...blockingReasons] };
  }

  /**
   * Sets the cause of the current block (the BLOCKED transition records `manual` by default), and
   * for `needs_clarification` the question to answer (any other cause drops the question).
   */
  setBlockCause(cause: BlockCause, question?: string): void {
    if (!this.snapshot.blocked) return;
    this.snapshot.blocked.cause = cause;
    if (question === undefined) delete this.snapshot.blocked.question;
    else this.snapshot.blocked.question = question;
  }

  /** Replaces the reason of the current block (a re-validation that still fails). */
  setBlockReason(reason: string): void {
    if (this.snapshot.blocked) this.snapshot.blocked.reason = reason;
  }

  get phase(): Phase {
    return this.snapshot.phase;
  }

  /** Whether the ticket is finished: in its terminal phase, or cancelled. */
  get isDone(): boolean {
    return isTerminal(this.snapshot.phase) || this.snapshot.cancelled !== null;
  }

  get cancelled(): Cancellation | null {
    return this.snapshot.cancelled;
  }

  /** Cancels the ticket (once; a second call keeps the first reason). Every later transition is refused. */
  cancel(cancellation: Cancellation): void {
    this.snapshot.cancelled ??= cancellation;
  }

  /** The outcome already produced for `requestId`, if any (rebuilt from the compact form for old ones). */
  outcomeOf(requestId: string): TransitionOutcome | undefined {
    const outcome = this.outcomes.get(requestId);
    if (outcome) return outcome;
    const accepted = this.snapshot.earlier.accepted[requestId];
    if (accepted) {
      const [sequence, fromPhase, toPhase] = accepted;
      return { accepted: true, record: { sequence, requestId, fromPhase, toPhase, reason: null, transitionedBy: 'earlier run', occurredAt: '' } };
    }
    const refused = this.snapshot.earlier.refused[requestId];
    if (!refused) return undefined;
    const [code, reason] = refused;
    const { phase } = this.snapshot;
    return {
      accepted: false,
      rejection: { requestId, code, fromPhase: phase, toPhase: phase, reason, validTransitions: [], blockingReasons: [], via: 'update', occurredAt: '' },
    };
  }

  /**
   * The snapshot to continue as new with: the latest `window` accepted and refused transitions in
   * full, every older one in compact form (its request ID still deduplicated).
   */
  compacted(window: number): TicketLifecycleSnapshot {
    const { history, rejections, earlier } = this.snapshot;
    const accepted = { ...earlier.accepted };
    const refused = { ...earlier.refused };
    for (const record of history.slice(0, Math.max(0, history.length - window)))
      accepted[record.requestId] = [record.sequence, record.fromPhase, record.toPhase];
    for (const rejection of rejections.slice(0, Math.max(0, rejections.length - window))) refused[rejection.requestId] = [rejection.code, rejection.reason];
    const snapshot: TicketLifecycleSnapshot = {
      ...this.snapshot,
      history: history.slice(-window),
      rejections: rejections.slice(-window),
      earlier: { accepted, refused },
    };
    return JSON.parse(JSON.stringify(snapshot)) as TicketLifecycleSnapshot;
  }

  /**
   * Why `request` would be refused now, or `undefined` if it would be accepted or was seen before.
   * Changes nothing.
   */
  refusal(request: TransitionRequest): Refusal | undefined {
    if (this.outcomeOf(request.requestId)) return undefined;
    const { phase, gatedPhases, run, cancelled } = this.snapshot;
    if (cancelled) return { code: INVALID_TRANSITION, reason: `ticket was cancelled (${cancelled.reason}); no transition is possible`, blockingReasons: [] };
    const reason = transitionRefusal(phase, request.toPhase);
    if (reason) return { code: INVALID_TRANSITION, reason, blockingReasons: [] };
    return gateRefusal(phase, request.toPhase, gatedPhases, run, this.snapshot.blocked);
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
    const seen = this.outcomeOf(request.requestId);
    if (seen) return seen;
    const fromPhase = this.snapshot.phase;
    const refusal = this.refusal(request);
    const outcome: TransitionOutcome = refusal
      ? {
          accepted: false,
          rejection: {
            requestId: request.requestId,
            code: refusal.code,
            fromPhase,
            toPhase: request.toPhase,
            reason: refusal.reason,
            validTransitions: [...validTransitions(fromPhase)],
            blockingReasons: refusal.blockingReasons,
            via,
            occurredAt: now,
          },
        }
      : {
          accepted: true,
          record: {
            sequence: this.snapshot.transitionCount + 1,
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
      this.snapshot.transitionCount = outcome.record.sequence;
      this.snapshot.previousPhase = fromPhase;
      this.snapshot.phase = request.toPhase;
      this.enter(outcome.record);
    } else {
      this.snapshot.rejections.push(outcome.rejection);
      this.snapshot.rejectedCount++;
    }
    this.outcomes.set(request.requestId, outcome);
    return outcome;
  }

  /** Moves the run and block state along with an accepted transition. */
  private enter(record: TransitionRecord): void {
    const { run, blocked } = this.snapshot;
    if (record.toPhase === Phase.BLOCKED) {
      const reason = record.reason ?? `blocked by ${record.transitionedBy}`;
      this.snapshot.blocked = { fromPhase: record.fromPhase, entry: run.entry, cause: 'manual', reason };
      return;
    }
    this.snapshot.blocked = null;
    // Resume the same run, except after a clarification: the phase is worked anew with the answer.
    if (blocked && record.toPhase === blocked.fromPhase && blocked.cause !== 'needs_clarification') return;
    this.snapshot.run = {
      phase: record.toPhase,
      entry: record.sequence,
      step: 'generating_tasks',
      gate: { status: 'pending', blockingReasons: [] },
      gateRounds: 0,
    };
  }

  /** Current state for queries. */
  state(): TicketState {
    const { ticketId, phase, previousPhase, history, rejections, transitionCount, rejectedCount, run, blocked, cancelled } = this.snapshot;
    return {
      ticketId,
      phase,
      previousPhase,
      status: cancelled ? TicketStatus.CANCELLED : statusForPhase(phase),
      transitionCount,
      rejectedCount,
      validTransitions: [...validTransitions(phase)],
      lastTransition: history.at(-1) ?? null,
      lastRejection: rejections.at(-1) ?? null,
      run: { ...run, gate: { ...run.gate, blockingReasons: [...run.gate.blockingReasons] } },
      blocked: blocked && { ...blocked },
      cancelled: cancelled && { ...cancelled },
    };
  }

  /** The latest accepted transitions, oldest first (a copy; all of them until the workflow continued as new). */
  history(): TransitionRecord[] {
    return [...this.snapshot.history];
  }
}
