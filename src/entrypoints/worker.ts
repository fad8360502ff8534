/**
 * Stand-alone worker process (docker-compose's `worker` service): polls the ticket task queue of
 * the Temporal server at TEMPORAL_ADDRESS with the database at DATABASE_URL (both required).
 * Stops gracefully on SIGINT/SIGTERM (the SDK's worker shutdown).
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, workerSizing } from '../platform/config';
import { createPrismaClient } from '../platform/prisma';
import { createLogger } from '../platform/logger';
import { loadRuntime } from '../runtime';
import { createTicketWorkers } from '../worker/create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a stand-alone worker');
  const log = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createTicketWorkers({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      activities: loadRuntime(config, prisma, log).activities,
      maxConcurrentAgentTasks: config.MAX_CONCURRENT_AGENT_TASKS,
      sizing: workerSizing(config),
    });
    log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
    await worker.run();
  } finally {
    await connection.close();
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
