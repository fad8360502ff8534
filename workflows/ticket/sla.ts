/**
 * Stalled tickets (issue 11): the ticket workflow's SLA watch. Each phase entry with an SLA gets a
 * durable timer (a `condition` with a timeout), measured from the transition that entered the phase
 * (its `occurredAt`, carried in the continue-as-new snapshot's history), so every transition
 * restarts it and a continued run resumes it with what is left. When it fires, the escalation is
 * recorded (`recordEscalation`, idempotent per phase entry), the ticket is blocked (cause
 * `escalation`) if the SLA's action is `block`, and the escalation is sent to every webhook not
 * yet delivered to (`deliverEscalation`, retried). The seeds' watchdog (roadmap 4.3) on Temporal timers.
 */
import { condition, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { TicketActivities } from '../../src/ticket/contracts';
import type { TicketLifecycle } from '../../src/ticket/lifecycle';
import type { Phase } from '../../src/ticket/phases';
import { slaOf, watchesSlas, type EscalationSettings, type PhaseSla } from '../../src/ticket/sla';
import { bookkeeping } from '../bookkeeping';
import { SLA_ESCALATION_PATCH } from './patches';

const { recordEscalation } = bookkeeping;

/**
 * Webhook deliveries: 1 s doubling to 5 minutes, 10 attempts (about 20 minutes in all), each
 * attempt at most 30 s. A delivery that fails for good is logged; the escalation stays recorded.
 */
const { deliverEscalation } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/** What the watch needs from the ticket workflow. */
export interface SlaWatch {
  ticketId: string;
  /** The workflow's escalation settings (absent: nothing is watched). */
  settings: EscalationSettings | undefined;
  lifecycle: TicketLifecycle;
  /** Blocks the ticket with cause `escalation` (a transition to PHASE_BLOCKED with this reason and request ID). */
  block: (reason: string, requestId: string) => Promise<void>;
}

/** The phase entry being watched. */
interface Entry {
  phase: Phase;
  /** Sequence of the transition that entered the phase. */
  sequence: number;
  /** Its time, ISO 8601. */
  enteredAt: string;
  sla: PhaseSla;
}

/** Records, blocks if configured, and delivers the escalation of `entry` (never throws but on cancellation). */
async function escalate({ ticketId, settings, lifecycle, block }: SlaWatch, { phase, sequence, enteredAt, sla }: Entry): Promise<void> {
  const overdueMs = Math.max(0, Date.now() - Date.parse(enteredAt) - sla.ms);
  const recorded = await recordEscalation({ ticketId, phase, phaseEntry: sequence, kind: 'sla', slaMs: sla.ms, overdueMs, enteredAt });
  log.warn('phase SLA overstayed: escalated', { phase, phaseEntry: sequence, slaMs: sla.ms, overdueMs, escalationId: recorded.id });
  if (sla.action === 'block' && lifecycle.phase === phase && lifecycle.state().transitionCount === sequence && !lifecycle.isDone) {
    await block(`SLA of ${phase} (${sla.ms} ms) overstayed by ${overdueMs} ms since ${enteredAt}`, `escalation:${sequence}`);
  }
  const pending = (settings?.webhooks ?? []).filter(({ url }) => !recorded.deliveredTo.includes(url));
  await Promise.all(
    pending.map((webhook) =>
      deliverEscalation({ escalationId: recorded.id, webhook }).catch((error: unknown) => {
        if (isCancellation(error)) throw error;
        log.error('escalation not delivered', {
          escalationId: recorded.id,
          url: webhook.url,
          error: String(error instanceof Error && error.cause ? error.cause : error),
        });
      }),
    ),
  );
}

/** Watches every phase entry until the ticket is done. */
async function watch(context: SlaWatch): Promise<void> {
  const { lifecycle, settings } = context;
  while (!lifecycle.isDone) {
    const { phase, transitionCount: sequence, lastTransition } = lifecycle.state();
    const left = () => lifecycle.isDone || lifecycle.state().transitionCount !== sequence;
    const sla = slaOf(settings, phase);
    if (sla && lastTransition) {
      const dueInMs = Date.parse(lastTransition.occurredAt) + sla.ms - Date.now();
      const moved = dueInMs > 0 && (await condition(left, dueInMs));
      if (!moved && !left()) await escalate(context, { phase, sequence, enteredAt: lastTransition.occurredAt, sla });
    }
    await condition(left);
  }
}

/**
 * Starts the SLA watch in the background when `context.settings` set an SLA (and the history is
 * not one recorded before {@link SLA_ESCALATION_PATCH}). It ends with the ticket, or with the
 * workflow run (a continued run starts its own); a Temporal cancellation ends it quietly.
 */
export function startSlaWatch(context: SlaWatch): void {
  if (!watchesSlas(context.settings) || !patched(SLA_ESCALATION_PATCH)) return;
  void watch(context).catch((error: unknown) => {
    if (!isCancellation(error)) log.error('SLA watch stopped', { error: String(error) });
  });
}
