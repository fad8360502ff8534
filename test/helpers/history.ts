/** Reading a workflow's event history in tests. */
import type { WorkflowHandle } from '@temporalio/client';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Attempts after the first of each started activity, per activity type. */
export function activityRetries(events: readonly HistoryEvent[]): Record<string, number> {
  const types = new Map<string, string>();
  const retries: Record<string, number> = {};
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started && (started.attempt ?? 1) > 1) {
      const type = types.get(String(started.scheduledEventId)) ?? '?';
      retries[type] = (retries[type] ?? 0) + (started.attempt ?? 1) - 1;
    }
  }
  return retries;
}
