/**
 * The bare baseline's workflows: what a minimal Temporal application does for the same requests as
 * the project, on the same dev server and database, so that each benchmark row can give the ratio
 * project/bare (issue 8 section 3). Workflow code: deterministic, imports only the SDK and the
 * activity types.
 */
import { condition, defineQuery, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './activities';

const { writeRow, spawnAgent } = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

/** The bare ticket's state: its phase and how many transitions it took. */
export interface BareState {
  phase: string;
  transitions: number;
}

/** The bare transition: runs one activity writing one row, then answers the new state. */
export const bareTransitionUpdate = defineUpdate<BareState, [{ toPhase: string }]>('bareTransition');

/** The bare state query (the counterpart of the project's `getState`). */
export const bareStateQuery = defineQuery<BareState>('bareState');

/**
 * A bare "ticket": starts in BACKLOG and waits forever; each {@link bareTransitionUpdate} writes
 * one `bench_rows` row (activity `writeRow`) and moves it. Never completes on its own (the
 * benchmark's dev server is discarded at the end).
 */
export async function bareTicketWorkflow(): Promise<void> {
  const state: BareState = { phase: 'PHASE_BACKLOG', transitions: 0 };
  setHandler(bareStateQuery, () => state);
  setHandler(bareTransitionUpdate, async ({ toPhase }) => {
    await writeRow({ workflowId: workflowInfo().workflowId, step: state.transitions + 1, detail: toPhase });
    state.phase = toPhase;
    state.transitions += 1;
    return state;
  });
  await condition(() => false);
}

/** Input of {@link bareLifecycleWorkflow}: the activity counts of one real project ticket's lifecycle. */
export interface BareLifecycleInput {
  /** Activities that spawn the instant agent (the ticket's `executeTask` count). */
  agentSpawns: number;
  /** Activities that write one row (the ticket's other activities). */
  rowWrites: number;
}

/**
 * The bare lifecycle: `agentSpawns` agent spawns, then `rowWrites` row writes, one activity at a
 * time, then completes. Returns the number of activities run.
 */
export async function bareLifecycleWorkflow({ agentSpawns, rowWrites }: BareLifecycleInput): Promise<number> {
  const { workflowId } = workflowInfo();
  for (let i = 1; i <= agentSpawns; i += 1) await spawnAgent({ taskId: `${workflowId}/${i}` });
  for (let i = 1; i <= rowWrites; i += 1) await writeRow({ workflowId, step: i, detail: 'lifecycle' });
  return agentSpawns + rowWrites;
}
