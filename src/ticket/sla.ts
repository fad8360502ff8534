/**
 * Stalled tickets (issue 11, "Stalled tickets"): per-phase SLAs the ticket workflow watches with
 * durable timers, the webhooks an escalation is sent to, and the escalation record the workflow
 * and its activities agree on. Pure module (no Node, Prisma or Temporal imports): the workflow
 * imports it; the configuration's zod schema is in src/ticket/sla-config.ts.
 */
import { Phase } from './phases';

/**
 * The key of a waiting state that is not a phase: a ticket awaiting approval (reserved for the
 * approvals piece of issue 11, which starts its own timer; this module's watch ignores it).
 */
export const AWAITING_APPROVAL = 'awaiting_approval';

/** Phases an SLA may be set on: the working phases and PHASE_BLOCKED (not BACKLOG, where tickets wait by design, nor DONE). */
export const SLA_PHASES = [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING, Phase.DEPLOYMENT, Phase.BLOCKED] as const;

/** One of {@link SLA_PHASES}, or {@link AWAITING_APPROVAL}. */
export type SlaKey = (typeof SLA_PHASES)[number] | typeof AWAITING_APPROVAL;

/**
 * What an overstay does besides being recorded and sent to the webhooks: `escalate` only, or
 * `block` (the ticket moves to PHASE_BLOCKED with cause `escalation`; not allowed on PHASE_BLOCKED).
 */
export type SlaAction = 'escalate' | 'block';

/** The SLA of one phase. */
export interface PhaseSla {
  /** Longest stay in the phase, ms, measured from entering it (each transition restarts it). */
  ms: number;
  action: SlaAction;
}

/** A webhook escalations are POSTed to. */
export interface EscalationWebhook {
  url: string;
  /** Name of the environment variable (of the worker) holding the HMAC-SHA256 secret the body is signed with. */
  secretEnv: string;
}

/** The SLAs and webhooks of a ticket workflow (part of its settings: fixed for the workflow's life). */
export interface EscalationSettings {
  slas: Partial<Record<SlaKey, PhaseSla>>;
  webhooks: EscalationWebhook[];
}

/** Kinds of escalation: `sla`, a phase overstayed (the approvals piece adds its own). */
export type EscalationKind = 'sla';

/** Input of the `recordEscalation` activity: one overstay of one phase entry. */
export interface EscalationInput {
  ticketId: string;
  phase: Phase;
  /** Sequence of the transition that entered the phase (the phase run's `entry` for a working phase). */
  phaseEntry: number;
  kind: EscalationKind;
  slaMs: number;
  /** How far past the SLA the ticket was when the escalation fired, ms (≥ 0). */
  overdueMs: number;
  /** When the ticket entered the phase, ISO 8601 (workflow time). */
  enteredAt: string;
}

/** What `recordEscalation` answers: the row's ID and the webhooks (URLs) it was already delivered to. */
export interface RecordedEscalation {
  id: string;
  deliveredTo: string[];
}

/** Input of the `deliverEscalation` activity. */
export interface DeliverEscalationInput {
  escalationId: string;
  webhook: EscalationWebhook;
}

/** The JSON body POSTed to a webhook (signed in the `X-Orchestrator-Signature` header). */
export interface EscalationPayload {
  escalationId: string;
  kind: EscalationKind;
  /** `key`: the ticket's external ID, or its ID when it has none. */
  ticket: { id: string; key: string; title: string };
  phase: Phase;
  overdueMs: number;
  slaMs: number;
  enteredAt: string;
  /** The ticket's workflow in the Temporal Web UI, and the ticket in the REST API. */
  links: { webUi: string; api: string };
}

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'X-Orchestrator-Signature';

/** The SLA of `phase` under `settings`, if one is set. */
export function slaOf(settings: EscalationSettings | undefined, phase: Phase): PhaseSla | undefined {
  return (SLA_PHASES as readonly Phase[]).includes(phase) ? settings?.slas[phase as SlaKey] : undefined;
}

/** Whether `settings` set an SLA the ticket workflow watches (any phase's; `awaiting_approval` is not one). */
export function watchesSlas(settings: EscalationSettings | undefined): boolean {
  return SLA_PHASES.some((phase) => settings?.slas[phase] !== undefined);
}

/** Where the current phase entry stands against its SLA (the `sla` field of the workflow's `getState`). */
export interface SlaStatus {
  phase: Phase;
  slaMs: number;
  action: SlaAction;
  /** When the phase was entered, and when the SLA runs out, ISO 8601. */
  enteredAt: string;
  dueAt: string;
  /** Whether the ticket is past `dueAt` (then it has been escalated, or is being escalated). */
  overdue: boolean;
}

/**
 * The SLA status of the phase entered at `enteredAt` (the last transition's time), at `nowMs`
 * (workflow time, ms); null when the phase has no SLA or the ticket never left BACKLOG.
 */
export function slaStatus(settings: EscalationSettings | undefined, phase: Phase, enteredAt: string | undefined, nowMs: number): SlaStatus | null {
  const sla = slaOf(settings, phase);
  if (!sla || enteredAt === undefined) return null;
  const dueMs = Date.parse(enteredAt) + sla.ms;
  return { phase, slaMs: sla.ms, action: sla.action, enteredAt, dueAt: new Date(dueMs).toISOString(), overdue: nowMs >= dueMs };
}
