/**
 * What the benchmark reads from workflow histories: how many activities a workflow scheduled (by
 * type), and when each activity of a type was scheduled together with its first argument (the
 * server's event time, epoch ms), to pair with the agent's own start timestamp.
 */
import { tsToMs } from '@temporalio/common/lib/time';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Activities a workflow scheduled, in total and by activity type, and its history length. */
export interface ActivityCounts {
  events: number;
  activities: number;
  byType: Record<string, number>;
}

/** A scheduled activity: its type, first argument and the server's ActivityTaskScheduled time (epoch ms). */
export interface ScheduledActivity {
  activityType: string;
  input: unknown;
  scheduledMs: number;
  /** The WorkflowTaskCompleted event that scheduled it: activities with the same one started together. */
  workflowTaskCompletedEventId: string;
}

/** Every ActivityTaskScheduled event of `workflowId`'s current run, in order. */
export async function scheduledActivities(client: Client, workflowId: string): Promise<{ events: number; scheduled: ScheduledActivity[] }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.flatMap((event) => {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (!attributes) return [];
    const payload = attributes.input?.payloads?.[0];
    return [
      {
        activityType: attributes.activityType?.name ?? '?',
        input: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
        scheduledMs: tsToMs(event.eventTime),
        workflowTaskCompletedEventId: String(attributes.workflowTaskCompletedEventId ?? ''),
      },
    ];
  });
  return { events: events.length, scheduled };
}

/** Length of `workflowId`'s history (current run), in events, from its description (no history fetched). */
export async function historyLength(client: Client, workflowId: string): Promise<number> {
  return (await client.workflow.getHandle(workflowId).describe()).historyLength;
}

/** The activity counts of `workflowId`'s current run. */
export async function activityCounts(client: Client, workflowId: string): Promise<ActivityCounts> {
  const { events, scheduled } = await scheduledActivities(client, workflowId);
  const byType: Record<string, number> = {};
  for (const activity of scheduled) byType[activity.activityType] = (byType[activity.activityType] ?? 0) + 1;
  return { events, activities: scheduled.length, byType };
}

/**
 * The instant agent's start records (bench/agents/instant-agent.mjs, `BENCH_DISPATCH_LOG`): for
 * each task ID, the earliest process start (epoch ms, `performance.timeOrigin`).
 */
export function agentStarts(dispatchLog: string): Map<string, number> {
  const starts = new Map<string, number>();
  for (const line of readFileSync(dispatchLog, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const { taskId, processStartMs } = JSON.parse(line) as { taskId: string; processStartMs: number };
    starts.set(taskId, Math.min(starts.get(taskId) ?? Number.POSITIVE_INFINITY, processStartMs));
  }
  return starts;
}

/** Short names of the event types a timeline shows (others keep their enum name). */
const SHORT_EVENT_NAMES: Record<string, string> = {
  WORKFLOW_TASK_SCHEDULED: 'WFT sched',
  WORKFLOW_TASK_STARTED: 'WFT start',
  WORKFLOW_TASK_COMPLETED: 'WFT done',
  ACTIVITY_TASK_SCHEDULED: 'act sched',
  ACTIVITY_TASK_STARTED: 'act start',
  ACTIVITY_TASK_COMPLETED: 'act done',
  WORKFLOW_EXECUTION_UPDATE_ACCEPTED: 'update accepted',
  WORKFLOW_EXECUTION_UPDATE_COMPLETED: 'update done',
  WORKFLOW_EXECUTION_SIGNALED: 'signal',
  TIMER_STARTED: 'timer',
  TIMER_FIRED: 'timer fired',
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 'search attrs',
};

/**
 * Where a request's time went: the first `limit` events of `workflowId` from `sinceMs` (epoch ms,
 * when the request was sent), each with the ms since the previous one, e.g.
 * `+2600 WFT start, +970 WFT done, +0 update accepted, …`; the first is counted from `sinceMs`.
 */
export async function timeline(client: Client, workflowId: string, sinceMs: number, limit = 16): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let previous = sinceMs;
  const parts: string[] = [];
  for (const event of history.events ?? []) {
    const at = tsToMs(event.eventTime);
    if (at < sinceMs) continue;
    const name = String(temporalEventName(event.eventType));
    parts.push(`+${Math.round(at - previous)} ${SHORT_EVENT_NAMES[name] ?? name}`);
    previous = at;
    if (parts.length >= limit) break;
  }
  return parts.join(', ');
}

/** The event type's enum name without its `EVENT_TYPE_` prefix (the history holds its number). */
function temporalEventName(eventType: unknown): string {
  // protobufjs enums map numbers back to names too.
  const name = typeof eventType === 'number' ? (temporal.api.enums.v1.EventType as unknown as Record<number, string>)[eventType] : String(eventType);
  return (name ?? String(eventType)).replace(/^EVENT_TYPE_/, '');
}
