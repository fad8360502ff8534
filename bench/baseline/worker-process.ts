/**
 * Child process of the benchmark: the bare baseline's worker (bench/baseline/workflows.ts and
 * activities.ts, SDK default worker options) on the benchmark's dev server and database.
 * Environment: BENCH_TEMPORAL_ADDRESS, BENCH_NAMESPACE, BENCH_TASK_QUEUE, BENCH_DATABASE_URL,
 * BENCH_AGENT (instant agent path), BENCH_WORKSPACES_DIR, BENCH_DISPATCH_LOG. Sends `{ ready: {} }`
 * over IPC once the worker polls; shuts it down when the benchmark closes the channel.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { reportReadyAndStopWithParent } from '../../src/platform/child-process';
import { createBareActivities } from './activities';

/** The environment variable `name`. @throws Error when it is unset. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the bare worker is started by bench/run.ts)`);
  return value;
}

/** Creates and runs the bare worker and reports it ready. */
async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: required('BENCH_TEMPORAL_ADDRESS') });
  const pool = new pg.Pool({ connectionString: required('BENCH_DATABASE_URL') });
  const worker = await Worker.create({
    connection,
    namespace: required('BENCH_NAMESPACE'),
    taskQueue: required('BENCH_TASK_QUEUE'),
    workflowsPath: require.resolve('./workflows'),
    activities: createBareActivities({
      pool,
      agentPath: required('BENCH_AGENT'),
      workspacesDir: required('BENCH_WORKSPACES_DIR'),
      agentEnv: { BENCH_DISPATCH_LOG: required('BENCH_DISPATCH_LOG') },
    }),
  });
  const running = worker.run();
  reportReadyAndStopWithParent({}, async () => {
    worker.shutdown();
    await running;
    await pool.end();
    await connection.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
