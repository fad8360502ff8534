/**
 * The whole local stack in one process tree: PostgreSQL (embedded unless `DATABASE_URL`), the
 * Temporal dev server (unless one is reachable), the ticket worker and the REST API in this
 * process, and the agent queue's worker in a child process (unless AGENT_WORKER_PROCESS=false).
 */
import type { PrismaClient } from '@prisma/client';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import path from 'node:path';
import { createApp, listen } from './api/app';
import { startChild } from './platform/child-process';
import { workerSizing, type Config } from './platform/config';
import { createPrismaClient } from './platform/prisma';
import { seedTaskTemplates } from './phase-work/seed-templates';
import { seedPromptTemplates } from './agents/prompt-templates';
import { prepareConfiguredRepositories } from './repositories/start-up';
import { migrateDatabase } from './platform/database';
import { startDatabase } from './platform/embedded-postgres';
import { startTemporalServer } from './platform/temporal-server';
import type { Logger } from './platform/logger';
import { loadRuntime } from './runtime';
import { createTicketWorkers } from './worker/create-worker';

/** The agent queue's worker process (AGENT_WORKER_PROCESS): agent spawns never stall this process. */
const AGENT_QUEUE_WORKER = path.join(__dirname, 'entrypoints', 'agent-queue-worker.ts');

/** A running stack. */
export interface Stack {
  /** Base URL of the REST API, e.g. `http://127.0.0.1:3000/api/v1`. */
  apiUrl: string;
  /** Temporal Web UI base URL. */
  uiUrl: string;
  prisma: PrismaClient;
  temporal: Client;
  /** Stops API, worker, connections and whatever servers this process started, in that order. */
  stop(): Promise<void>;
}

/**
 * Starts every component and waits until each is ready. Progress goes to `log`.
 *
 * @throws Error from the first component that fails to start (earlier ones are stopped).
 */
export async function startStack(config: Config, log: Logger): Promise<Stack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => log.warn({ err: error }, 'stop step failed'));
  };
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const database = await startDatabase(config, log);
    stops.push(database.stop);
    log.info('applying database migrations (prisma migrate deploy)');
    await migrateDatabase(database.url);

    const temporalServer = await startTemporalServer(config, log);
    stops.push(temporalServer.stop);

    const prisma = createPrismaClient(database.url, config.DATABASE_POOL_SIZE);
    stops.push(() => prisma.$disconnect());
    const seeded = await seedTaskTemplates(prisma);
    if (seeded > 0) log.info({ seeded }, 'seeded task templates');
    const seededPrompts = await seedPromptTemplates(prisma);
    if (seededPrompts > 0) log.info({ seeded: seededPrompts }, 'seeded prompt templates');
    const runtime = loadRuntime(config, prisma, log);
    const repositories = await prepareConfiguredRepositories(prisma, runtime.orchestrator.repositories, log);
    if (repositories.length > 0) log.info({ repositories }, 'synced the configured repositories');

    const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    stops.push(() => workerConnection.close());
    log.info('bundling workflows and starting the worker');
    const worker = await createTicketWorkers({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      activities: runtime.activities,
      maxConcurrentAgentTasks: config.MAX_CONCURRENT_AGENT_TASKS,
      sizing: workerSizing(config),
      agentQueue: !config.AGENT_WORKER_PROCESS,
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    if (config.AGENT_WORKER_PROCESS) {
      const agentQueue = await startChild(AGENT_QUEUE_WORKER, { env: { DATABASE_URL: database.url } });
      log.info({ pid: agentQueue.pid }, 'agent queue worker process started');
      stops.push(() => agentQueue.stop());
    }

    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

    const app = createApp({
      prisma,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger: log,
      orchestrator: runtime.orchestrator,
      settings: runtime.settings,
    });
    const server = await listen(app, config.PORT);
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${config.PORT}/api/v1`;
    log.info({ apiUrl, uiUrl: temporalServer.uiUrl }, 'stack is up');
    return { apiUrl, uiUrl: temporalServer.uiUrl, prisma, temporal, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
