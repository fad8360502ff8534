/**
 * When a ticket workflow run should continue as new (issue 8 §1): shared by the ticket workflow
 * (between phase runs) and the phase work (inside a phase run whose tasks all wait for resources).
 * Workflow code: reads only {@link workflowInfo}, which replays deterministically.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { TicketSettings } from '../../src/ticket/settings';

/**
 * Whether this run should continue as new now: Temporal suggests it, or the run's event history
 * is longer than `settings.continueAsNewAfterEvents` events.
 */
export function continueAsNewDue(settings: Pick<TicketSettings, 'continueAsNewAfterEvents'>): boolean {
  const { continueAsNewSuggested, historyLength } = workflowInfo();
  return continueAsNewSuggested || historyLength > settings.continueAsNewAfterEvents;
}
