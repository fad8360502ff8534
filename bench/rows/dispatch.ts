/**
 * Row: dispatch latency, from an agent activity's ActivityTaskScheduled event (the server's time,
 * read from the history) to the agent process's own start (`performance.timeOrigin` recorded by
 * the instant agent), over every agent execution of the lifecycle row: the project's `executeTask`
 * vs the bare `spawnAgent`. Both clocks are this machine's.
 */
import type { BenchContext } from '../context';
import { agentStarts, scheduledActivities } from '../history';
import { summarize } from '../load';
import { latencyRow, type BenchRow } from '../report';
import { AGENT_ACTIVITY } from './lifecycle';

/** The bare baseline's agent activity type. */
const BARE_AGENT_ACTIVITY = 'spawnAgent';

/** Scheduled→started latencies of `activityType` in `workflowIds`; a missing start is a failure. */
async function latencies(context: BenchContext, workflowIds: string[], activityType: string, starts: Map<string, number>) {
  const found: number[] = [];
  const missing: string[] = [];
  for (const workflowId of workflowIds) {
    const { scheduled } = await scheduledActivities(context.stack.temporal, workflowId);
    for (const activity of scheduled.filter((entry) => entry.activityType === activityType)) {
      const taskId = (activity.input as { taskId?: string } | undefined)?.taskId ?? '';
      const started = starts.get(taskId);
      if (started === undefined) missing.push(`no agent start recorded for ${activityType} ${taskId}`);
      else found.push(started - activity.scheduledMs);
    }
  }
  return summarize(found, missing, 0);
}

/** Computes the dispatch row from the lifecycle row's workflows. */
export async function dispatchRow(context: BenchContext, projectWorkflowIds: string[], bareWorkflowIds: string[]): Promise<BenchRow> {
  const starts = agentStarts(context.stack.dispatchLog);
  const project = await latencies(context, projectWorkflowIds, AGENT_ACTIVITY, starts);
  const bare = await latencies(context, bareWorkflowIds, BARE_AGENT_ACTIVITY, starts);
  return latencyRow('dispatch', 'dispatch: agent activity scheduled → agent started', projectWorkflowIds.length, project, bare, [
    `${project.count} project executions, ${bare.count} bare`,
  ]);
}
