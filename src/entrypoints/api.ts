/**
 * Stand-alone API process (docker-compose's `api` service): applies migrations to DATABASE_URL
 * (required), seeds the task and prompt templates, upserts the configuration file's repositories, registers
 * the ticket search attributes on the Temporal namespace, then serves the REST API on PORT until
 * SIGINT/SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import { createApp, listen } from '../api/app';
import { loadConfig } from '../platform/config';
import { createPrismaClient } from '../platform/prisma';
import { seedTaskTemplates } from '../phase-work/seed-templates';
import { seedPromptTemplates } from '../agents/prompt-templates';
import { prepareConfiguredRepositories } from '../repositories/start-up';
import { migrateDatabase } from '../platform/database';
import { ensureSearchAttributes } from '../platform/temporal-server';
import { createLogger } from '../platform/logger';
import { loadRuntime } from '../runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a stand-alone API');
  const log = createLogger(config.LOG_LEVEL);
  await migrateDatabase(config.DATABASE_URL);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  await seedTaskTemplates(prisma);
  await seedPromptTemplates(prisma);
  const { orchestrator, settings } = loadRuntime(config, prisma, log);
  await prepareConfiguredRepositories(prisma, orchestrator.repositories, log);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({ prisma, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger: log, orchestrator, settings });
  const server = await listen(app, config.PORT);
  log.info({ port: config.PORT }, 'API listening');
  const stop = () =>
    server.close(() => {
      void prisma.$disconnect().then(() => connection.close());
    });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
