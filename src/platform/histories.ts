/**
 * Workflow histories as JSON files, for determinism checks: the main job records the histories of
 * its tickets (`npm start -- --once --record-histories test/fixtures/histories`) and the test
 * suite replays them against the current workflow code (`Worker.runReplayHistories`), so a change
 * that would break running tickets fails CI. Roadmap milestone 6.3; Temporal's replay testing.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * Writes the current run's history of each workflow to `<dir>/<name>.json`.
 *
 * @param workflows file name (without `.json`) → workflow ID
 * @returns the files written
 */
export async function recordHistories(client: Client, workflows: Record<string, string>, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [name, workflowId] of Object.entries(workflows)) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, historyToJSON(history));
    files.push(file);
  }
  return files;
}

/**
 * Reads every `*.json` history in `dir` and its subdirectories (one per generation of workflow
 * code, e.g. `before-issue-8/`), for `Worker.runReplayHistories`. The workflow ID given to the
 * replayer is the file's path under `dir` without `.json`, e.g. `before-issue-8/ROADMAP-1.1`.
 */
export async function readHistories(dir: string): Promise<HistoryAndWorkflowId[]> {
  const names = (await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => ({
      workflowId: name.slice(0, -'.json'.length),
      history: historyFromJSON(JSON.parse(await readFile(path.join(dir, name), 'utf8'))),
    })),
  );
}
