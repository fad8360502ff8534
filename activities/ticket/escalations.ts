/**
 * The `recordEscalation` and `deliverEscalation` activities (issue 11, "Stalled tickets"): thin
 * adapters over the escalation store, and the signed webhook POST.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { OrchestratorConfig } from '../../src/agents/config';
import type { TicketActivities } from '../../src/ticket/contracts';
import { findEscalation, recordDeliveryAttempt, recordEscalation as storeEscalation, type DeliveryAttempt } from '../../src/ticket/escalation-store';
import { SIGNATURE_HEADER, type DeliverEscalationInput, type EscalationKind, type EscalationPayload } from '../../src/ticket/sla';
import type { Phase } from '../../src/ticket/phases';
import { asActivity } from '../failures';

/** Failure type of a delivery whose escalation row does not exist (non-retryable). */
export const ESCALATION_NOT_FOUND = 'EscalationNotFound';

/** Failure type of a delivery whose webhook's `secretEnv` variable is unset or empty (non-retryable). */
export const ESCALATION_SECRET_MISSING = 'EscalationSecretMissing';

/** Longest wait for a webhook's answer, ms. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** `sha256=<hex HMAC-SHA256 of body with secret>`, the value of the {@link SIGNATURE_HEADER} header. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Builds the `recordEscalation` activity (idempotent per ticket, phase entry and kind; see the store). */
export function createRecordEscalation(prisma: PrismaClient): TicketActivities['recordEscalation'] {
  return async function recordEscalation(input) {
    return asActivity(() => storeEscalation(prisma, input));
  };
}

/** What `deliverEscalation` needs: the database, the configuration (Web UI base URL) and the API's base URL. */
export interface DeliverEscalationDependencies {
  prisma: PrismaClient;
  config: Pick<OrchestratorConfig, 'escalation'>;
  /** Base URL of the REST API, e.g. `http://127.0.0.1:3000/api/v1`. */
  publicApiUrl: string;
}

/**
 * Builds the `deliverEscalation` activity: POSTs the escalation's {@link EscalationPayload} as JSON
 * to the webhook with the {@link SIGNATURE_HEADER} header, and appends the attempt to the row's
 * `deliveries` (stamping `delivered_at` on a 2xx answer).
 *
 * @throws Error on a non-2xx answer, a network error or a timeout ({@link WEBHOOK_TIMEOUT_MS}): retried by the workflow's policy
 * @throws ApplicationFailure {@link ESCALATION_NOT_FOUND} or {@link ESCALATION_SECRET_MISSING} (non-retryable)
 */
export function createDeliverEscalation({ prisma, config, publicApiUrl }: DeliverEscalationDependencies): TicketActivities['deliverEscalation'] {
  return async function deliverEscalation({ escalationId, webhook }: DeliverEscalationInput): Promise<void> {
    const { info } = Context.current();
    const row = await findEscalation(prisma, escalationId);
    if (!row) throw ApplicationFailure.nonRetryable(`escalation ${escalationId} not found`, ESCALATION_NOT_FOUND);
    const payload: EscalationPayload = {
      escalationId,
      kind: row.kind as EscalationKind,
      ticket: { id: row.ticket.id, key: row.ticket.externalId ?? row.ticket.id, title: row.ticket.title },
      phase: row.phase as Phase,
      overdueMs: Number(row.overdueMs),
      slaMs: Number(row.slaMs),
      enteredAt: row.enteredAt.toISOString(),
      links: {
        webUi: `${config.escalation.webUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(info.namespace)}/workflows/${encodeURIComponent(row.ticket.workflowId)}`,
        api: `${publicApiUrl.replace(/\/$/, '')}/tickets/${row.ticket.id}`,
      },
    };
    const attempt = (status: number | null, error?: string): DeliveryAttempt => ({
      url: webhook.url,
      attempt: info.attempt,
      status,
      ...(error === undefined ? {} : { error }),
      at: new Date().toISOString(),
    });
    const secret = process.env[webhook.secretEnv];
    if (!secret) {
      const message = `the webhook's secret variable ${webhook.secretEnv} is not set`;
      await recordDeliveryAttempt(prisma, escalationId, attempt(null, message));
      throw ApplicationFailure.nonRetryable(message, ESCALATION_SECRET_MISSING);
    }
    const body = JSON.stringify(payload);
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature(body, secret) },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
    } catch (error) {
      const message = `POST ${webhook.url} failed: ${error instanceof Error ? error.message : String(error)}`;
      await recordDeliveryAttempt(prisma, escalationId, attempt(null, message));
      throw new Error(message);
    }
    if (response.ok) {
      await recordDeliveryAttempt(prisma, escalationId, attempt(response.status));
      return;
    }
    const message = `POST ${webhook.url} answered ${response.status}`;
    await recordDeliveryAttempt(prisma, escalationId, attempt(response.status, message));
    throw new Error(message);
  };
}
