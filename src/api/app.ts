/**
 * The Express 5 application, built apart from the listening server so tests mount it directly
 * (supertest) and the stack listens on `PORT`.
 */
import { createServer, type Server } from 'node:http';
import express, { type Express } from 'express';
import type { PrismaClient } from '@prisma/client';
import type { Client } from '@temporalio/client';
import type { OrchestratorConfig } from '../agents/config';
import { AgentRegistry } from '../agents/registry';
import type { TicketSettings } from '../ticket/settings';
import type { Logger } from '../platform/logger';
import { PhaseWorkClient } from '../phase-work/client';
import { TaskClient } from '../phase-work/task-client';
import { TemplateStore } from '../phase-work/template-store';
import { TicketClient } from '../ticket/client';
import { errorHandler, routeNotFound } from './errors';
import { idempotency } from './idempotency';
import { agentsRouter } from '../agents/routes';
import { promptTemplatesRouter } from '../agents/prompt-routes';
import { healthRouter } from './health';
import { phaseWorkRouter } from '../phase-work/routes';
import { escalationsRouter, ticketsRouter } from '../ticket/routes';
import { repositoriesRouter } from '../repositories/routes';
import { RepositoryStore } from '../repositories/store';

/** What the app needs: the database, a Temporal client, the ticket task queue and a logger. */
export interface AppDependencies {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** Agent backends and gate requirements (for the gate and task endpoints); its `defaultRepository` is new tickets' default. */
  orchestrator: OrchestratorConfig;
  /** Settings new tickets' workflows start with. */
  settings: Omit<TicketSettings, 'policy'>;
}

/** Largest accepted JSON body. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Builds the app: /healthz, /readyz and the REST API under /api/v1 (POSTs honour `Idempotency-Key`). */
export function createApp({ prisma, temporal, taskQueue, logger, orchestrator, settings }: AppDependencies): Express {
  const tickets = new TicketClient(prisma, temporal, taskQueue, settings, { defaultRepository: orchestrator.defaultRepository });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.use(healthRouter(prisma, temporal));
  app.use('/api/v1', idempotency(prisma));
  app.use('/api/v1', ticketsRouter(tickets));
  app.use('/api/v1', escalationsRouter(prisma, tickets));
  app.use(
    '/api/v1',
    phaseWorkRouter({
      work: new PhaseWorkClient(prisma, temporal, tickets, orchestrator),
      tasks: new TaskClient(prisma, temporal, tickets),
      templates: new TemplateStore(prisma),
    }),
  );
  app.use('/api/v1', agentsRouter(new AgentRegistry(prisma), taskQueue));
  app.use('/api/v1', promptTemplatesRouter(prisma, orchestrator));
  app.use('/api/v1', repositoriesRouter(new RepositoryStore(prisma)));
  app.use(routeNotFound);
  app.use(errorHandler(logger));
  return app;
}

/**
 * How long an idle keep-alive connection stays open, ms: longer than the usual client agents'
 * idle timeouts (Node's own agent keeps sockets 4 s-60 s) so the server never closes a socket a
 * client is about to reuse, which that client sees as a dropped request (issue 8 §2: 3 dropped
 * connections at 32 concurrent clients with Node's 5 s default).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Pending connections the listening socket queues before the API accepts them (Node's default is 511). */
export const LISTEN_BACKLOG = 1024;

/**
 * Listens with {@link LISTEN_BACKLOG} on `port` and sets the keep-alive timeout
 * ({@link KEEP_ALIVE_TIMEOUT_MS}) and the headers timeout just above it, as Node requires.
 *
 * @returns the listening server; rejects if the port cannot be bound
 */
export function listen(app: Express, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer(app);
    server.once('error', reject);
    server.listen({ port, backlog: LISTEN_BACKLOG }, () => resolve(server));
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  });
}
