/**
 * Determinism safety: the recorded histories of the main job's tickets (test/fixtures/histories,
 * written by `npm start -- --once --record-histories test/fixtures/histories`) replay without a
 * nondeterminism error against the current workflow code. A change that would break tickets
 * already running fails here; see the README, "Changing workflow code safely".
 */
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { readHistories } from '../../src/platform/histories';
import { testEnv } from '../helpers/env';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'histories');

it('replays every recorded ticket history against the current workflow code', async () => {
  const histories = await readHistories(FIXTURES);
  expect(histories.length).toBeGreaterThan(0);
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: testEnv.workflowBundle() } }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(histories.length);
});
