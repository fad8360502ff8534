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

/** Activities started together (by one workflow task of the project ticket's history). */
export interface BareWave {
  /** Activities that spawn the instant agent (the wave's `executeTask` count). */
  agentSpawns: number;
  /** Activities that write one row (the wave's other activities). */
  rowWrites: number;
}

/** Input of {@link bareLifecycleWorkflow}: one real project ticket's lifecycle, as waves of activities. */
export interface BareLifecycleInput {
  waves: BareWave[];
}

/**
 * The bare lifecycle: each wave's activities at once (its agent spawns and row writes), the waves
 * one after the other, as the project ticket's workflow tasks scheduled them; then completes.
 * Returns the number of activities run.
 */
export async function bareLifecycleWorkflow({ waves }: BareLifecycleInput): Promise<number> {
  const { workflowId } = workflowInfo();
  let step = 0;
  for (const wave of waves) {
    const spawns = Array.from({ length: wave.agentSpawns }, () => spawnAgent({ taskId: `${workflowId}/${++step}` }));
    const writes = Array.from({ length: wave.rowWrites }, () => writeRow({ workflowId, step: ++step, detail: 'lifecycle' }));
    await Promise.all([...spawns, ...writes]);
  }
  return step;
}
