/**
 * A real Temporal dev server per test file (TestWorkflowEnvironment.createLocal on the Temporal CLI
 * found by the start script) with the ticket search attributes, and a worker on the prebuilt bundle.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createTicketWorker } from '../../src/worker/create-worker';
import { testEnv } from './env';

/** Starts a local dev server (headless) with the ticket search attributes registered. */
export async function createTemporalEnvironment(): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: testEnv.temporalCli() },
      searchAttributes: TICKET_SEARCH_ATTRIBUTES,
      extraArgs: ['--headless', '--log-level', 'never'],
    },
  });
}

/** A running worker on a fresh task queue, and how to stop it. */
export interface RunningWorker {
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

/** Creates and runs the ticket worker on a new task queue of `env`. */
export async function startWorker(env: TestWorkflowEnvironment, prisma: PrismaClient): Promise<RunningWorker> {
  const taskQueue = `tickets-${randomUUID()}`;
  const worker = await createTicketWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    prisma,
    workflows: { workflowBundle: { codePath: testEnv.workflowBundle() } },
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
