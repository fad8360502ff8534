/**
 * The `escalation` entry of config/orchestrator.json (issue 11, "Stalled tickets"): SLAs per phase
 * (ms, with an action), the webhooks escalations are sent to, and the Temporal Web UI base URL
 * their links point at. Validated with zod by src/agents/config.ts; passed to ticket workflows in
 * their settings (src/platform/config.ts `workflowSettings`).
 */
import { z } from 'zod';
import { AWAITING_APPROVAL, SLA_PHASES, type EscalationSettings } from './sla';
import { Phase } from './phases';

/** The Web UI base URL of escalation links when the entry names none: the dev server's UI on its default port. */
export const DEFAULT_WEB_UI_URL = 'http://127.0.0.1:8233';

/** Longest SLA, ms: 30 days. */
export const MAX_SLA_MS = 30 * 24 * 60 * 60 * 1000;

const phaseSla = z.strictObject({
  /** Longest stay, ms (1 ms to 30 days). */
  ms: z.number().int().min(1).max(MAX_SLA_MS),
  /** `escalate` (default): record and send; `block`: also block the ticket (cause `escalation`). */
  action: z.enum(['escalate', 'block']).default('escalate'),
});

/** Schema of the file's `escalation` entry (default: no SLA, no webhook). */
export const escalationConfigSchema = z
  .strictObject({
    /** Per phase (or `awaiting_approval`), the SLA. */
    slas: z.partialRecord(z.enum([...SLA_PHASES, AWAITING_APPROVAL]), phaseSla).default({}),
    /** Where escalations are POSTed; `secretEnv` names the environment variable of the HMAC secret. */
    webhooks: z
      .array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }))
      .default([]),
    /** Base URL of the Temporal Web UI, for the escalation's `links.webUi`. */
    webUiUrl: z.url().default(DEFAULT_WEB_UI_URL),
  })
  .superRefine(({ slas }, ctx) => {
    if (slas[Phase.BLOCKED]?.action === 'block') {
      ctx.addIssue({ code: 'custom', message: 'a blocked ticket cannot be blocked again: use "escalate"', path: ['slas', Phase.BLOCKED, 'action'] });
    }
  })
  .default({ slas: {}, webhooks: [], webUiUrl: DEFAULT_WEB_UI_URL });

/** The validated `escalation` entry. */
export type EscalationConfig = z.infer<typeof escalationConfigSchema>;

/** The part of the entry ticket workflows get in their settings (SLAs and webhooks). */
export function escalationSettings({ slas, webhooks }: EscalationConfig): EscalationSettings {
  return { slas, webhooks };
}
