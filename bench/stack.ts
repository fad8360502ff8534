/**
 * The benchmark's own stack, on its own free ports and data directory, so it never touches a
 * running `npm start`: embedded PostgreSQL and the Temporal dev server (started here with the
 * project's src/infra functions), the project's worker and API (src/stack.ts, in a child process)
 * configured with the instant agent for every capability, and the bare baseline's worker (another
 * child process) on the same dev server and database.
 */
import { once } from 'node:events';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { loadConfig } from '../src/platform/config';
import { startDatabase } from '../src/platform/embedded-postgres';
import { startTemporalServer } from '../src/platform/temporal-server';
import { createLogger } from '../src/platform/logger';
import { BENCH_TABLES_DDL } from './baseline/activities';
import { startChild, type Child } from '../src/platform/child-process';
import { childrenNamed } from './processes';
import type { ProjectStackReady } from './project-process';

const ROOT = path.resolve(__dirname, '..');
/** The instant agent every capability maps to. */
export const INSTANT_AGENT = path.join(ROOT, 'bench', 'agents', 'instant-agent.mjs');
/** The project's default orchestrator configuration, whose validation phases and gates the benchmark keeps. */
const DEFAULT_ORCHESTRATOR_CONFIG = path.join(ROOT, 'config', 'orchestrator.json');
/** Task queue of the bare baseline's workflows and activities. */
export const BARE_TASK_QUEUE = 'bench-bare';

/** The running benchmark stack. */
export interface BenchStack {
  /** Base URL of the project's REST API, e.g. `http://127.0.0.1:39123/api/v1`. */
  apiUrl: string;
  /** Client of the dev server (the bare baseline's requests, and history reads). */
  temporal: Client;
  namespace: string;
  /** Pool on the application database (the bare list query and tables). */
  pool: pg.Pool;
  /** NDJSON file the instant agent appends its start timestamps to (project and bare alike). */
  dispatchLog: string;
  /** PIDs whose memory the benchmark reports; `devServer` undefined if it could not be found. */
  pids: { projectStack: number; bareWorker: number; devServer: number | undefined };
  /** Stops everything started here, last started first; never throws. */
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Writes the benchmark's orchestrator configuration to `file`: the default file's validation
 * phases and gates, with one `command` backend, the instant agent, serving every capability the
 * default backends serve.
 */
function writeOrchestratorConfig(file: string, dispatchLog: string): void {
  const defaults = JSON.parse(readFileSync(DEFAULT_ORCHESTRATOR_CONFIG, 'utf8')) as {
    backends: { capabilities: string[] }[];
    validationPhases?: string[];
    gates?: Record<string, unknown>;
  };
  const capabilities = [...new Set(defaults.backends.flatMap((backend) => backend.capabilities))];
  const config = {
    $comment: 'Written by bench/stack.ts: every capability goes to the instant agent.',
    backends: [
      {
        name: 'instant-agent',
        type: 'command',
        capabilities,
        command: 'node',
        args: [INSTANT_AGENT],
        env: { BENCH_DISPATCH_LOG: dispatchLog },
        timeoutMs: 60_000,
        heartbeatTimeoutMs: 15_000,
      },
    ],
    validationPhases: defaults.validationPhases ?? [],
    gates: defaults.gates ?? {},
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Starts the whole benchmark stack under `dataDir` (PostgreSQL data, dev server SQLite file, logs,
 * workspaces, the dispatch log). `say` receives progress lines.
 *
 * @throws Error from the first part that fails (the parts already started are stopped).
 */
/**
 * Starts the benchmark's child `entry` (relative to bench/) with its output appended to `logFile`.
 * @throws Error naming `logFile` when it does not report ready
 */
async function startLogged<Ready>(entry: string, env: Record<string, string>, logFile: string): Promise<Child<Ready>> {
  try {
    return await startChild<Ready>(path.join(__dirname, entry), { env, output: openSync(logFile, 'a') });
  } catch (error) {
    throw new Error(`${(error as Error).message}; see ${logFile}`);
  }
}

export async function startBenchStack(dataDir: string, say: (line: string) => void): Promise<BenchStack> {
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => say(`stop step failed: ${String(error)}`));
  };
  try {
    const [pgPort, temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const dispatchLog = path.join(dataDir, 'dispatch.ndjson');
    writeFileSync(dispatchLog, '');
    const orchestratorConfig = path.join(dataDir, 'orchestrator.json');
    writeOrchestratorConfig(orchestratorConfig, dispatchLog);
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_PORT: String(uiPort),
      PORT: String(apiPort),
      ORCHESTRATOR_CONFIG: orchestratorConfig,
      WORKSPACES_DIR: path.join(dataDir, 'workspaces'),
      LOG_LEVEL: 'warn',
    };
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const config = loadConfig({ ...inherited, ...env });
    const log = createLogger('warn');

    say(`starting embedded PostgreSQL on ${pgPort} and the Temporal dev server on ${temporalPort} (data in ${dataDir})`);
    const database = await startDatabase(config, log);
    stops.push(database.stop);
    const pool = new pg.Pool({ connectionString: database.url, max: 16 });
    stops.push(() => pool.end());
    const temporalServer = await startTemporalServer(config, log);
    stops.push(temporalServer.stop);
    const devServer = childrenNamed(process.pid, 'temporal')[0];

    say(`starting the project's worker and API on ${apiPort}, and the bare worker (bundling workflows)`);
    const children = await Promise.allSettled([
      startLogged<ProjectStackReady>('project-process.ts', { ...env, DATABASE_URL: database.url }, path.join(dataDir, 'project-stack.log')),
      startLogged<Record<string, never>>(
        'baseline/worker-process.ts',
        {
          BENCH_TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
          BENCH_NAMESPACE: config.TEMPORAL_NAMESPACE,
          BENCH_TASK_QUEUE: BARE_TASK_QUEUE,
          BENCH_DATABASE_URL: database.url,
          BENCH_AGENT: INSTANT_AGENT,
          BENCH_WORKSPACES_DIR: path.join(dataDir, 'bare-workspaces'),
          BENCH_DISPATCH_LOG: dispatchLog,
        },
        path.join(dataDir, 'bare-worker.log'),
      ),
    ]);
    // Whichever child started is stopped with the rest, even when the other failed.
    for (const child of children) if (child.status === 'fulfilled') stops.push(() => child.value.stop());
    const [project, bare] = children;
    if (project.status === 'rejected') throw project.reason;
    if (bare.status === 'rejected') throw bare.reason;
    // Only now: `prisma migrate deploy` (in the project's process) refuses a database that is not empty.
    for (const statement of BENCH_TABLES_DDL) await pool.query(statement);

    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    return {
      apiUrl: project.value.ready.apiUrl,
      temporal,
      namespace: config.TEMPORAL_NAMESPACE,
      pool,
      dispatchLog,
      pids: { projectStack: project.value.pid, bareWorker: bare.value.pid, devServer },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
