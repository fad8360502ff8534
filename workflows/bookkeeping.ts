/**
 * The ticket workflow's bookkeeping activities (every activity but `executeTask`): what they write
 * is small and idempotent, so they retry without limit (1 s doubling to 30 s), and a database
 * outage delays the work, it never loses it. Missing rows fail non-retryably from inside the
 * activities. Shared by the ticket workflow and its phase work.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { TicketActivities } from '../src/ticket/contracts';

export const bookkeeping = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
