/**
 * What the benchmark reads from workflow histories: how many activities a workflow scheduled (by
 * type), and when each activity of a type was scheduled together with its first argument (the
 * server's event time, epoch ms), to pair with the agent's own start timestamp.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

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
}

/** Epoch ms of a protobuf Timestamp (`seconds` may be a Long). */
function timestampMs(timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(String(timestamp?.seconds ?? 0)) * 1000 + (timestamp?.nanos ?? 0) / 1e6;
}

/** Every ActivityTaskScheduled event of `workflowId`'s current run, in order. */
export async function scheduledActivities(client: Client, workflowId: string): Promise<{ events: number; scheduled: ScheduledActivity[] }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.flatMap((event) => {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (!attributes) return [];
    const payload = attributes.input?.payloads?.[0];
    return [{ activityType: attributes.activityType?.name ?? '?', input: payload ? defaultPayloadConverter.fromPayload(payload) : undefined, scheduledMs: timestampMs(event.eventTime) }];
  });
  return { events: events.length, scheduled };
}

/** Length of `workflowId`'s history (current run), in events. */
export async function historyLength(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
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
