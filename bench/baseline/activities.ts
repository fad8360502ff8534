/**
 * The bare baseline's activities: one writes one row to the benchmark's own table, one spawns the
 * instant agent once (the same process the project's `command` backend spawns) and reads its JSON
 * result. Written the way a minimal Temporal application would: a `pg` pool, `child_process.spawn`.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

/** The columns of the bare tables: a row per (workflow, step). */
const COLUMNS = `id bigserial PRIMARY KEY,
  workflow_id text NOT NULL,
  step integer NOT NULL,
  detail text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, step)`;

/**
 * The bare tables, created by the benchmark (`CREATE TABLE IF NOT EXISTS`): `bench_rows`, one row
 * per bare activity step, and `bench_list_rows`, filled with as many rows as the project stores
 * tickets, which the bare list reads.
 */
export const BENCH_TABLES_DDL = [`CREATE TABLE IF NOT EXISTS bench_rows (${COLUMNS})`, `CREATE TABLE IF NOT EXISTS bench_list_rows (${COLUMNS})`];

/** What the activities need. */
export interface BareActivityDependencies {
  pool: pg.Pool;
  /** Absolute path of bench/agents/instant-agent.mjs. */
  agentPath: string;
  /** Directory of the agent's working directories (one per spawn's workflow). */
  workspacesDir: string;
  /** Extra environment of the agent process (e.g. `BENCH_DISPATCH_LOG`). */
  agentEnv: Record<string, string>;
}

/** Creates the bare activities. */
export function createBareActivities({ pool, agentPath, workspacesDir, agentEnv }: BareActivityDependencies) {
  return {
    /**
     * Inserts row (workflowId, step); idempotent: a retry of the same step inserts nothing
     * (`ON CONFLICT DO NOTHING`, like the project's keyed writes).
     */
    async writeRow({ workflowId, step, detail }: { workflowId: string; step: number; detail: string }): Promise<void> {
      await pool.query('INSERT INTO bench_rows (workflow_id, step, detail) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [workflowId, step, detail]);
    },

    /**
     * Spawns the instant agent with an agent-v1 request for task `taskId` on stdin and waits for its
     * result.
     *
     * @throws Error when the agent exits non-zero or writes no `completed` result (retried by Temporal).
     */
    async spawnAgent({ taskId }: { taskId: string }): Promise<void> {
      const cwd = path.join(workspacesDir, taskId.replace(/[^A-Za-z0-9_-]/g, '_'));
      await mkdir(cwd, { recursive: true });
      const request = {
        protocol: 'ticket-orchestrator/agent-v1',
        task: {
          id: taskId,
          taskType: 'implement_feature',
          phase: 'PHASE_IMPLEMENTATION',
          description: 'bare',
          priority: 'MEDIUM',
          requiredCapabilities: [],
          attempt: 1,
        },
        ticket: { id: taskId, externalId: null, title: 'bare', description: 'bare', priority: 'MEDIUM', labels: [], acceptanceCriteria: [] },
        contextSummary: '',
        dependencies: [],
        artifacts: [],
        workspace: cwd,
      };
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [agentPath], { cwd, env: { ...process.env, ...agentEnv }, stdio: ['pipe', 'pipe', 'ignore'] });
        const chunks: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`instant agent exited with ${code}`))));
        child.stdin.end(JSON.stringify(request));
      });
      const result = JSON.parse(stdout) as { status?: unknown };
      if (result.status !== 'completed') throw new Error(`instant agent answered ${String(result.status)}`);
    },
  };
}

/** The bare activities, as the workflows see them. */
export type BareActivities = ReturnType<typeof createBareActivities>;
