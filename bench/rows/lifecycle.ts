/**
 * Row: full-lifecycle throughput. `lifecycleTickets` auto-policy tickets are created at once and
 * worked BACKLOG→DONE by the instant agent; then as many bare lifecycle workflows run, each with
 * the activities of the first project ticket's real history: as many agent spawns as it has
 * `executeTask`s and as many row writes as its other activities, in the same waves (activities one
 * workflow task scheduled start together, the waves one after the other).
 * Throughput is tickets (workflows) finished per minute of wall time, from the first request to
 * the last completion.
 */
import { performance } from 'node:perf_hooks';
import { bareLifecycleWorkflow, type BareWave } from '../baseline/workflows';
import type { BenchContext } from '../context';
import { activityCounts, scheduledActivities, type ActivityCounts } from '../history';
import { summarize } from '../load';
import { metric, type BenchRow } from '../report';
import { BARE_TASK_QUEUE } from '../stack';

/** Longest a lifecycle may take before its ticket counts as failed, ms. */
const LIFECYCLE_TIMEOUT_MS = 600_000;
/** The activity type of an agent execution in the project's histories. */
export const AGENT_ACTIVITY = 'executeTask';

/** The row, and the workflows the dispatch row reads. */
export interface LifecycleOutcome {
  row: BenchRow;
  projectWorkflowIds: string[];
  bareWorkflowIds: string[];
  /** One project ticket's lifecycle: history events and activities by type. */
  counts: ActivityCounts;
}

/** The waves of activities of `workflowId`: those one workflow task scheduled, in history order. */
async function activityWaves(context: BenchContext, workflowId: string): Promise<BareWave[]> {
  const { scheduled } = await scheduledActivities(context.stack.temporal, workflowId);
  const waves = new Map<string, BareWave>();
  for (const activity of scheduled) {
    const wave = waves.get(activity.workflowTaskCompletedEventId) ?? { agentSpawns: 0, rowWrites: 0 };
    if (activity.activityType === AGENT_ACTIVITY) wave.agentSpawns += 1;
    else wave.rowWrites += 1;
    waves.set(activity.workflowTaskCompletedEventId, wave);
  }
  return [...waves.values()];
}

/** Rejects after `ms` with `message`, for a race. */
function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}

/** Runs both sides' lifecycles and measures their throughput. */
export async function lifecycleRow(context: BenchContext): Promise<LifecycleOutcome> {
  const count = context.sizes.lifecycleTickets;
  const title = 'lifecycle BACKLOG→DONE, instant agent, vs bare';
  context.say(`${title}: ${count} per side, all at once`);
  const { temporal } = context.stack;

  const projectFailures: string[] = [];
  const projectDurations: number[] = [];
  const projectWorkflowIds: string[] = [];
  const projectStart = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const sent = performance.now();
      try {
        const ticket = await context.project.createTicket(`bench lifecycle ${index}`, 'auto');
        projectWorkflowIds.push(ticket.workflowId);
        const state = (await Promise.race([temporal.workflow.getHandle(ticket.workflowId).result(), timeout(LIFECYCLE_TIMEOUT_MS, 'lifecycle timed out')])) as {
          phase?: string;
        };
        if (state.phase !== 'PHASE_DONE') throw new Error(`ticket ended in ${state.phase}`);
        projectDurations.push(performance.now() - sent);
      } catch (error) {
        projectFailures.push(error instanceof Error ? error.message : String(error));
      }
    }),
  );
  const projectWallMs = performance.now() - projectStart;
  if (projectWorkflowIds.length === 0) throw new Error(`no lifecycle ticket could be created: ${projectFailures[0]}`);

  const counts = await activityCounts(temporal, projectWorkflowIds[0]!);
  const waves = await activityWaves(context, projectWorkflowIds[0]!);
  const agentSpawns = counts.byType[AGENT_ACTIVITY] ?? 0;
  const rowWrites = counts.activities - agentSpawns;
  context.say(
    `  one ticket's lifecycle: ${counts.activities} activities (${agentSpawns} ${AGENT_ACTIVITY}) in ${waves.length} waves, ${counts.events} history events`,
  );

  const bareFailures: string[] = [];
  const bareDurations: number[] = [];
  const bareWorkflowIds = Array.from({ length: count }, (_, index) => `bare-lifecycle-${index}`);
  const bareStart = performance.now();
  await Promise.all(
    bareWorkflowIds.map(async (workflowId) => {
      const sent = performance.now();
      try {
        await temporal.workflow.execute(bareLifecycleWorkflow, {
          workflowId,
          taskQueue: BARE_TASK_QUEUE,
          args: [{ waves }],
          workflowExecutionTimeout: LIFECYCLE_TIMEOUT_MS,
        });
        bareDurations.push(performance.now() - sent);
      } catch (error) {
        bareFailures.push(error instanceof Error ? error.message : String(error));
      }
    }),
  );
  const bareWallMs = performance.now() - bareStart;
  const bareCounts = await activityCounts(temporal, bareWorkflowIds[0]!);

  const perMinute = (done: number, wallMs: number) => (done * 60_000) / wallMs;
  const project = summarize(projectDurations, projectFailures, projectWallMs);
  const bare = summarize(bareDurations, bareFailures, bareWallMs);
  const row: BenchRow = {
    id: 'lifecycle',
    title,
    n: count,
    concurrency: count,
    metrics: [
      metric('tickets per min', '', perMinute(projectDurations.length, projectWallMs), perMinute(bareDurations.length, bareWallMs)),
      metric('ticket p50', 's', project.p50 / 1000, bare.p50 / 1000),
      metric('activities', '', counts.activities, bareCounts.activities),
      metric('history', 'events', counts.events, bareCounts.events),
    ],
    failures: { project: projectFailures.length, bare: bareFailures.length },
    project,
    bare,
    notes: [
      `project ticket activities by type: ${JSON.stringify(counts.byType)}`,
      `bare: ${agentSpawns} agent spawns + ${rowWrites} row writes in ${waves.length} waves (those started together in the project's history; sizes ${waves.map((wave) => wave.agentSpawns + wave.rowWrites).join(',')})`,
      ...[...new Set(projectFailures)].slice(0, 5).map((message) => `project failure: ${message}`),
      ...[...new Set(bareFailures)].slice(0, 5).map((message) => `bare failure: ${message}`),
    ],
  };
  return { row, projectWorkflowIds, bareWorkflowIds, counts };
}
