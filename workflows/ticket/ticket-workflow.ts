/**
 * The ticket workflow: one long-lived workflow per ticket (ID `ticket-<ticketId>`) that owns the
 * ticket's phase (seed 002, Stream E) and works each phase it enters (Streams F–H, see
 * {@link PhaseWork}). Transitions arrive as a signal or an update and share one code path; each
 * accepted one is persisted by the `recordTransition` activity and mirrored in the `TicketPhase`
 * and `TicketStatus` search attributes. Under the `auto` policy a passed gate moves the ticket to
 * the next phase; a task that fails for good or a gate that keeps failing moves it to
 * PHASE_BLOCKED with the reasons. The workflow completes when the ticket reaches PHASE_DONE or is
 * cancelled (the `cancelTicket` signal, or a Temporal cancellation request from the Web UI). It
 * continues as new when its history is long ({@link continueAsNewDue}): between phase runs, or
 * inside a phase run whose running tasks all wait for resources (issue 8 §1), which it resumes.
 * A phase overstaying its SLA is escalated (issue 11, workflows/ticket/sla.ts).
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { Phase, nextInSequence } from '../../src/ticket/phases';
import { TicketStatus, statusForPhase } from '../../src/ticket/ticket';
import { TicketLifecycle, type BlockCause, type PhaseRun, type Refusal, type TicketLifecycleSnapshot } from '../../src/ticket/lifecycle';
import type { TicketSettings } from '../../src/ticket/settings';
import type { InvalidTransitionDetails, TransitionOutcome, TransitionRejection, TransitionRequest } from '../../src/ticket/transition';
import { TicketPhase, TicketStatusAttribute } from '../../src/platform/search-attributes';
import {
  artifactsChangedSignal,
  cancelTaskSignal,
  cancelTicketSignal,
  tasksChangedSignal,
  ticketUpdatedSignal,
  getPhaseHistoryQuery,
  getStateQuery,
  getValidTransitionsQuery,
  transitionSignal,
  transitionUpdate,
  type TicketWorkflowState,
} from './messages';
import { bookkeeping } from '../bookkeeping';
import { PhaseWork } from '../phase-work/phase-work';
import { FAST_TRANSITIONS_PATCH } from './patches';
import { continueAsNewDue } from './continue-as-new';
import { startSlaWatch } from './sla';
import { slaStatus } from '../../src/ticket/sla';

/** Start argument of {@link ticketWorkflow}. */
export interface TicketWorkflowInput {
  /** The ticket's database ID (UUID). */
  ticketId: string;
  /** Policy, parallelism, retries and gated phases, fixed for the workflow's life. */
  settings: TicketSettings;
  /** The ticket's state when continuing as new; absent for a new ticket (BACKLOG). */
  snapshot?: TicketLifecycleSnapshot;
}

/** Transitions and rejections a continued run keeps in full; older ones are kept compact. */
export const HISTORY_WINDOW = 50;

const { recordTransition, recordCancellation } = bookkeeping;

/** Who the workflow names as the author of the transitions it makes itself. */
const ORCHESTRATOR = 'orchestrator';

/** The failure an update caller receives for a refused transition (the API maps it to 409). */
function refusalFailure(refusal: Refusal, { fromPhase, toPhase, validTransitions }: Pick<TransitionRejection, 'fromPhase' | 'toPhase' | 'validTransitions'>) {
  const details: InvalidTransitionDetails = { fromPhase, toPhase, validTransitions, blockingReasons: refusal.blockingReasons };
  return ApplicationFailure.create({ type: refusal.code, message: refusal.reason, details: [details], nonRetryable: true });
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
 * Runs a ticket from PHASE_BACKLOG to PHASE_DONE.
 *
 * @returns the final ticket state (phase PHASE_DONE).
 */
export async function ticketWorkflow({ ticketId, settings, snapshot }: TicketWorkflowInput): Promise<TicketWorkflowState> {
  const lifecycle = snapshot ? new TicketLifecycle(snapshot) : TicketLifecycle.start(ticketId, Phase.BACKLOG, settings.gatedPhases);
  const work = new PhaseWork(ticketId, settings, lifecycle);
  const persisting = new Map<string, Promise<void>>();
  /** The persist of the latest accepted transition: the one that entered the current run, if any. */
  let latestPersist: Promise<void> = Promise.resolve();
  let artifactsChanged = false;

  const state = (): TicketWorkflowState => {
    const current = lifecycle.state();
    return {
      ...current,
      policy: settings.policy,
      tasks: work.tasks.map(({ id, taskType, status }) => ({ id, taskType, status })),
      sla: slaStatus(settings.escalation, current.phase, current.lastTransition?.occurredAt, Date.now()),
    };
  };

  /**
   * The one code path of every transition: apply once, persist, mirror in the search attributes,
   * and stop the running phase work when the ticket leaves its phase.
   */
  async function applyTransition(
    request: TransitionRequest,
    via: TransitionRejection['via'],
    block?: { cause: BlockCause; question?: string },
  ): Promise<TransitionOutcome> {
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
    if (block) lifecycle.setBlockCause(block.cause, block.question);
    work.cancel();
    upsertSearchAttributes([
      { key: TicketPhase, value: outcome.record.toPhase },
      { key: TicketStatusAttribute, value: statusForPhase(outcome.record.toPhase) },
    ]);
    const persisted = recordTransition({ ticketId, record: outcome.record }).then(() => undefined);
    persisting.set(request.requestId, persisted);
    latestPersist = persisted;
    await persisted;
    log.info('transition applied', { ...outcome.record });
    return outcome;
  }

  setHandler(transitionSignal, async (request) => {
    await applyTransition(normalizeRequest(request), 'signal');
  });

  // No validator on purpose: a refused update is recorded like a refused signal, so its request ID
  // keeps its first outcome (a refusal) even after the transition would become valid.
  setHandler(transitionUpdate, async (request) => {
    const outcome = await applyTransition(normalizeRequest(request), 'update');
    if (!outcome.accepted) {
      const { code, reason, blockingReasons } = outcome.rejection;
      throw refusalFailure({ code, reason, blockingReasons }, outcome.rejection);
    }
    return state();
  });

  /** Cancels the ticket once: stops the phase work; the main loop then records the cancellation. */
  function cancel(reason: string, requestedBy: string): void {
    if (lifecycle.isDone) return;
    lifecycle.cancel({ reason, requestedBy, at: new Date().toISOString() });
    work.cancel();
  }

  setHandler(cancelTicketSignal, ({ reason, requestedBy }) => cancel(String(reason ?? 'no reason given'), String(requestedBy ?? 'unknown')));
  setHandler(cancelTaskSignal, ({ taskId, reason }) => {
    if (!work.cancelTask(String(taskId), String(reason ?? 'cancelled on request'))) log.warn('cancelTask ignored: no such pending or running task', { taskId });
  });

  setHandler(tasksChangedSignal, () => work.tasksChanged());

  // Issue 11: the answer to a block for clarification resumes the phase with a new run.
  setHandler(ticketUpdatedSignal, async (update) => {
    const blocked = lifecycle.blocked;
    if (lifecycle.phase !== Phase.BLOCKED || blocked?.cause !== 'needs_clarification') return;
    const fields = Array.isArray(update?.fields) ? update.fields.map(String).join(', ') : 'the ticket';
    const updatedBy = typeof update?.updatedBy === 'string' && update.updatedBy !== '' ? update.updatedBy : 'api';
    await applyTransition(
      {
        toPhase: blocked.fromPhase,
        reason: `clarified by ${updatedBy} (${fields} updated); ${blocked.fromPhase} runs again`,
        transitionedBy: updatedBy,
        requestId: `clarified:${String(update?.requestId ?? uuid4())}`,
      },
      'signal',
    );
  });

  setHandler(artifactsChangedSignal, () => {
    // Outside a block the running phase work collects every stored artifact anyway.
    if (lifecycle.phase === Phase.BLOCKED) artifactsChanged = true;
  });
  setHandler(getStateQuery, state);
  setHandler(getValidTransitionsQuery, () => lifecycle.state().validTransitions);
  setHandler(getPhaseHistoryQuery, () => lifecycle.history());

  startSlaWatch({
    ticketId,
    settings: settings.escalation,
    lifecycle,
    block: async (reason, requestId) => {
      await applyTransition({ toPhase: Phase.BLOCKED, reason, transitionedBy: ORCHESTRATOR, requestId }, 'signal', { cause: 'escalation' });
    },
  });

  /**
   * A ticket blocked by its gate (or for clarification, issue 11) re-validates after new artifacts
   * and resumes the phase's run when it passes.
   */
  async function recheckBlockedGate(): Promise<void> {
    artifactsChanged = false;
    const blocked = lifecycle.blocked;
    if (blocked?.cause !== 'gate' && blocked?.cause !== 'needs_clarification') return;
    const verdict = await work.validate(lifecycle.run);
    if (lifecycle.phase !== Phase.BLOCKED) return;
    if (verdict.status !== 'passed') {
      // The cause follows the latest verdict: a question to answer, or only a gate to meet.
      lifecycle.setBlockCause(verdict.clarification === undefined ? 'gate' : 'needs_clarification', verdict.clarification);
      lifecycle.setBlockReason(`gate of ${blocked.fromPhase} still fails (validation round ${verdict.attempt}): ${verdict.blockingReasons.join('; ')}`);
      return;
    }
    // The run's gate passed after all: the phase resumes that run (no clarification is needed any more).
    lifecycle.setBlockCause('gate');
    await applyTransition(
      {
        toPhase: blocked.fromPhase,
        reason: `gate of ${blocked.fromPhase} passed after new artifacts (validation round ${verdict.attempt})`,
        transitionedBy: ORCHESTRATOR,
        requestId: `unblock:${blocked.entry}:${verdict.attempt}`,
      },
      'signal',
    );
  }

  /** Continues as new now, carrying the whole state (the current run too, complete or not). */
  async function continueAsNewNow(why: string): Promise<never> {
    log.info(why, { historyLength: workflowInfo().historyLength, transitions: lifecycle.state().transitionCount });
    return continueAsNew<typeof ticketWorkflow>({ ticketId, settings, snapshot: lifecycle.compacted(HISTORY_WINDOW) });
  }

  /**
   * Waits, between phase runs, until `changed`; continues as new meanwhile when due, once every
   * signal and update handler has finished and nothing changed, carrying the whole state.
   */
  async function idle(changed: () => boolean): Promise<void> {
    await condition(() => changed() || continueAsNewDue(settings));
    if (changed()) return;
    await condition(allHandlersFinished);
    if (changed()) return;
    await continueAsNewNow('continuing as new');
  }

  /**
   * The phase run `run` suspended while its tasks waited for resources (issue 8 §1): continues as
   * new once every signal and update handler has finished, and the new workflow run resumes the
   * phase run. Returns instead when something arrived first: a transition or cancellation (the
   * loop follows it) or a task cancellation (the run is worked again here, where the request lives).
   */
  async function resumeInNewRun(phase: Phase, run: PhaseRun): Promise<void> {
    await condition(allHandlersFinished);
    if (lifecycle.phase !== phase || lifecycle.run !== run || lifecycle.isDone || !work.resumable) return;
    await continueAsNewNow('continuing as new inside a phase run, its tasks waiting for resources');
  }

  /** The ticket's life: phase runs, blocks and policy moves until it is done or cancelled. */
  async function live(): Promise<void> {
    while (!lifecycle.isDone) {
      const phase = lifecycle.phase;
      if (phase === Phase.BLOCKED) {
        await idle(() => lifecycle.phase !== Phase.BLOCKED || artifactsChanged || lifecycle.isDone);
        if (lifecycle.phase === Phase.BLOCKED && !lifecycle.isDone) await recheckBlockedGate();
        continue;
      }
      const run = lifecycle.run;
      if (run.step !== 'complete') {
        if (patched(FAST_TRANSITIONS_PATCH)) {
          // A persist that failed for good is reported by the handler that applied the transition.
          await latestPersist.catch(() => undefined);
          // The ticket may have moved on while the persist ran.
          if (lifecycle.phase !== phase || lifecycle.run !== run || lifecycle.isDone) continue;
        }
        const outcome = await work.work(run);
        if (outcome.kind === 'suspended') await resumeInNewRun(phase, run);
        if (outcome.kind === 'failed' && lifecycle.phase === phase && lifecycle.run === run && !lifecycle.isDone) {
          await applyTransition({ toPhase: Phase.BLOCKED, reason: outcome.reason, transitionedBy: ORCHESTRATOR, requestId: uuid4() }, 'signal', {
            cause: outcome.cause,
            question: outcome.question,
          });
        }
        if (outcome.kind !== 'passed') continue;
      }
      const next = nextInSequence(phase);
      if (settings.policy === 'auto' && next && lifecycle.phase === phase && lifecycle.run === run && !lifecycle.isDone) {
        await applyTransition({ toPhase: next, reason: `gate of ${phase} passed`, transitionedBy: ORCHESTRATOR, requestId: `auto:${run.entry}` }, 'signal');
      }
      await idle(() => lifecycle.phase !== phase || lifecycle.run !== run || lifecycle.isDone);
    }
  }

  /** Records a cancellation, if any, and waits for the handlers in flight. */
  async function finish(): Promise<void> {
    const cancelled = lifecycle.cancelled;
    if (cancelled) {
      upsertSearchAttributes([{ key: TicketStatusAttribute, value: TicketStatus.CANCELLED }]);
      await recordCancellation({ ticketId, reason: cancelled.reason, requestedBy: cancelled.requestedBy });
      log.info('ticket cancelled', { ...cancelled });
    }
    await condition(allHandlersFinished);
  }

  try {
    await live();
  } catch (error) {
    // A Temporal cancellation request (Web UI "Cancel", `temporal workflow cancel`) cancels the ticket too.
    if (!isCancellation(error)) throw error;
    cancel('cancellation requested through Temporal', 'temporal');
    await CancellationScope.nonCancellable(() => finish());
    throw error;
  }
  await finish();
  return state();
}
