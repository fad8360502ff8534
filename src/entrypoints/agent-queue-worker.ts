/**
 * The agent queue's worker in a process of its own (issue 8 §2–3): runs the agent task executions
 * (`executeTask` on `<TEMPORAL_TASK_QUEUE>-agents`, at most MAX_CONCURRENT_AGENT_TASKS at once) with
 * the built-in backends of the orchestrator configuration. The all-in-one stack starts it as a child
 * (AGENT_WORKER_PROCESS, default on), so that spawning agent processes, which blocks the spawning
 * process's event loop while the kernel copies its page tables, never stalls the API or the ticket
 * workflows, and a small process forks faster than the whole stack. Also usable stand-alone.
 *
 * Needs DATABASE_URL and TEMPORAL_ADDRESS. Started with an IPC channel (as the stack does), it
 * sends `{ ready: true }` once its worker exists and shuts down when the channel closes; it also
 * stops gracefully on SIGINT/SIGTERM (the SDK's worker shutdown).
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { reportReadyAndStopWithParent } from '../platform/child-process';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { createPrismaClient } from '../platform/prisma';
import { loadRuntime } from '../runtime';
import { createAgentQueueWorker } from '../worker/create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the agent queue worker');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createAgentQueueWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    maxConcurrentAgentTasks: config.MAX_CONCURRENT_AGENT_TASKS,
    activities: createActivities(loadRuntime(config, prisma, log).activities),
  });
  const running = worker.run();
  // A worker that fails on its own (not stopped) ends the process with its error.
  running.catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, pid: process.pid }, 'agent queue worker running');
  reportReadyAndStopWithParent(true, async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await prisma.$disconnect();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
