/**
 * A real Temporal dev server per test file (TestWorkflowEnvironment.createLocal on the Temporal CLI
 * found by the start script) with the ticket search attributes, and a worker on the prebuilt bundle.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { loadOrchestratorConfig, type OrchestratorConfig } from '../../src/agents/config';
import { gatedPhases } from '../../src/phase-work/gate-policy';
import type { TicketSettings } from '../../src/ticket/settings';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/platform/logger';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/platform/search-attributes';
import { TicketClient } from '../../src/ticket/client';
import { createTicketWorkers } from '../../src/worker/create-worker';
import type { ticketWorkflow } from '../../workflows';
import { getStateQuery, type TicketWorkflowState } from '../../workflows/ticket/messages';
import { createTestDatabase, type TestDatabase } from './database';
import { prepareTestRepositories } from './repositories';
import { testEnv } from './env';

/** Starts a local dev server (headless) with the ticket search attributes registered. */
export async function createTemporalEnvironment(): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger((process.env.TEST_WORKER_LOG_LEVEL as 'ERROR') ?? 'ERROR') });
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: testEnv.temporalCli() },
      searchAttributes: TICKET_SEARCH_ATTRIBUTES,
      extraArgs: ['--headless', '--log-level', 'never'],
    },
  });
}

/** A ticket client on `taskQueue` with {@link testSettings} (`overrides` applied); new tickets go to the configuration's default repository. */
export function testTicketClient(
  prisma: PrismaClient,
  client: Client,
  taskQueue: string,
  orchestrator: OrchestratorConfig,
  overrides: Partial<TicketSettings> = {},
): TicketClient {
  return new TicketClient(prisma, client, taskQueue, testSettings(orchestrator, overrides), { defaultRepository: orchestrator.defaultRepository });
}

/** A running worker on a fresh task queue, and how to stop it. */
export interface RunningWorker {
  /** The ticket queue (agent tasks run on its `-agents` queue). */
  taskQueue: string;
  stop(): Promise<void>;
}

/** Workflow settings for tests: the configuration's gates, fast retries (200 ms → 1 s), gate re-checks (200 ms) and resource waits (200 ms → 1 s). */
export function testSettings(orchestrator: OrchestratorConfig, overrides: Partial<TicketSettings> = {}): Omit<TicketSettings, 'policy'> {
  return {
    maxParallelTasks: 4,
    taskRetry: { maximumAttempts: 3, initialIntervalMs: 200, maximumIntervalMs: 1000 },
    gateRetries: 1,
    gateRetryDelayMs: 200,
    validationPhases: orchestrator.validationPhases,
    gatedPhases: gatedPhases(orchestrator),
    continueAsNewAfterEvents: 10_000,
    resourceWait: { initialMs: 200, maxMs: 1000 },
    ...overrides,
  };
}

/**
 * Activity dependencies for tests: `prisma`, the given configuration (default: the repository's,
 * with the reference agent), a fresh temporary workspaces directory and a silent logger.
 */
export function testActivities(
  prisma: PrismaClient,
  orchestrator: OrchestratorConfig = loadOrchestratorConfig(),
  publicApiUrl = 'http://127.0.0.1:1/api/v1',
): ActivityDependencies {
  return {
    prisma,
    config: orchestrator,
    workspacesDir: mkdtempSync(path.join(os.tmpdir(), 'ticket-workspaces-')),
    repositoryCacheDir: testEnv.repositoryCacheDir(),
    publicApiUrl,
    logger: createLogger('silent'),
  };
}

/**
 * Creates and runs the ticket and agent workers on a new task queue of `env`, with at most
 * `maxConcurrentAgentTasks` (default 8) agent tasks at once.
 */
export async function startWorker(env: TestWorkflowEnvironment, activities: ActivityDependencies, maxConcurrentAgentTasks = 8): Promise<RunningWorker> {
  const taskQueue = `tickets-${randomUUID()}`;
  const worker = await createTicketWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    maxConcurrentAgentTasks,
    workflows: { workflowBundle: { codePath: testEnv.workflowBundle() } },
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** What {@link useTicketStack} provides to a test file once its `beforeAll` has run. */
export interface TicketStack {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  worker: RunningWorker;
  orchestrator: OrchestratorConfig;
  /** Where the worker's command agents work (one directory per ticket). */
  workspacesDir: string;
  /** A ticket client on the worker's task queue with {@link testSettings} (override per client). */
  tickets(overrides?: Partial<TicketSettings>): TicketClient;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that give the calling test file its own dev server,
 * database and running ticket workers (activities from {@link testActivities} with `orchestrator`,
 * default the repository's configuration; `maxConcurrentAgentTasks` agent tasks at once, default
 * 8), and tear all three down afterwards.
 */
export function useTicketStack(orchestrator: OrchestratorConfig = loadOrchestratorConfig(), { maxConcurrentAgentTasks = 8 } = {}): TicketStack {
  const stack = {
    orchestrator,
    tickets: (overrides) => testTicketClient(stack.db.prisma, stack.env.client, stack.worker.taskQueue, orchestrator, overrides),
  } as TicketStack;
  beforeAll(async () => {
    [stack.env, stack.db] = await Promise.all([createTemporalEnvironment(), createTestDatabase()]);
    await prepareTestRepositories(stack.db.prisma, orchestrator);
    const activities = testActivities(stack.db.prisma, orchestrator);
    stack.workspacesDir = activities.workspacesDir;
    stack.worker = await startWorker(stack.env, activities, maxConcurrentAgentTasks);
  });
  afterAll(async () => {
    await stack.worker?.stop();
    await stack.env?.teardown();
    await stack.db?.drop();
  });
  return stack;
}

/** Settings overrides that leave only the state machine: no gated phase, no validation agent. */
export const STATE_MACHINE_ONLY: Partial<TicketSettings> = { gatedPhases: [], validationPhases: [] };

/** The REST app on `stack`'s database, dev server and task queue (silent logs); new tickets get {@link testSettings} with `overrides`. */
export function stackApp(stack: TicketStack, overrides: Partial<TicketSettings> = {}): Express {
  return createApp({
    prisma: stack.db.prisma,
    temporal: stack.env.client,
    taskQueue: stack.worker.taskQueue,
    logger: createLogger('silent'),
    orchestrator: stack.orchestrator,
    settings: testSettings(stack.orchestrator, overrides),
  });
}

/**
 * Queries the ticket workflow's `getState` every 150 ms until `done(state)`, and returns that state.
 *
 * @throws Error with the last state when `timeoutMs` (default 50 s) passes first
 */
export async function waitForState(
  handle: WorkflowHandle<typeof ticketWorkflow>,
  done: (state: TicketWorkflowState) => boolean,
  timeoutMs = 50_000,
): Promise<TicketWorkflowState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(getStateQuery);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out; last state: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
