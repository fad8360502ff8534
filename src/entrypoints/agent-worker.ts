/**
 * Stand-alone agent worker process (`npx tsx src/entrypoints/agent-worker.ts`): registers as
 * AGENT_NAME with AGENT_CAPABILITIES (comma-separated; default: every capability of the
 * configuration's backends), AGENT_CAPACITY (default 1) and AGENT_TAGS, then runs that agent's
 * tasks with the backends of ORCHESTRATOR_CONFIG until SIGINT/SIGTERM. Needs DATABASE_URL and a
 * reachable Temporal server (TEMPORAL_ADDRESS). Seed 004, milestone 3.1.
 */
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { loadConfig } from '../platform/config';
import { createPrismaClient } from '../platform/prisma';
import { createLogger } from '../platform/logger';
import { loadRuntime } from '../runtime';
import { startAgentWorker } from '../agents/worker';

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for an agent worker');
  const name = process.env.AGENT_NAME;
  if (!name) throw new Error('AGENT_NAME is required for an agent worker');
  const log = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const { activities } = loadRuntime(config, prisma, log);
  const capabilities = list(process.env.AGENT_CAPABILITIES);
  const worker = await startAgentWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ticketQueue: config.TEMPORAL_TASK_QUEUE,
    name,
    capabilities: capabilities.length ? capabilities : [...new Set(activities.config.backends.flatMap((backend) => backend.capabilities))],
    capacity: z.coerce
      .number()
      .int()
      .min(1)
      .parse(process.env.AGENT_CAPACITY ?? 1),
    tags: list(process.env.AGENT_TAGS),
    activities,
  });
  log.info({ agent: worker.agent.name, taskQueue: worker.agent.taskQueue }, 'agent worker running');
  try {
    await worker.running;
  } finally {
    await worker.stop().catch(() => undefined);
    await connection.close();
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
