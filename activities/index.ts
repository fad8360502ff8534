/**
 * The orchestrator's activities, built around injected dependencies (Prisma client, orchestrator
 * configuration, workspaces, logger) so the worker passes the real ones and tests their own.
 * One folder per bounded context (ticket/, phase-work/, agents/, repositories/), each a thin adapter over its
 * context's stores. Workflows never import this: they proxy the {@link TicketActivities}
 * interface of src/ticket/contracts.ts. Activity names are what the Temporal Web UI shows.
 */
import { AgentRegistry } from '../src/agents/registry';
import type { TicketActivities } from '../src/ticket/contracts';
import { createExecuteTask, type ExecuteTaskDependencies } from './agents/execute-task';
import { createRouteTask } from './agents/route-task';
import { createPhaseWorkActivities } from './phase-work';
import { createRecordCancellation } from './ticket/record-cancellation';
import { createRecordTransition } from './ticket/record-transition';
import { createDeliverEscalation, createRecordEscalation } from './ticket/escalations';
import { createIntegrate } from './repositories/integrate';
import { createVerifyWorkspace } from './repositories/verify-workspace';
import { createTicketTrees, setupCacheDir } from '../src/repositories/ticket-trees';

/** What the activities need (see {@link ExecuteTaskDependencies} for each field). */
export type ActivityDependencies = ExecuteTaskDependencies;

/** Every activity the ticket workflow calls, keyed by activity name. */
export function createActivities(deps: ActivityDependencies): TicketActivities {
  const { prisma, config, logger } = deps;
  const trees = createTicketTrees(prisma, deps);
  const repositories = { prisma, trees, setupCacheDir: setupCacheDir(deps.repositoryCacheDir), logger };
  return {
    recordTransition: createRecordTransition(prisma),
    recordCancellation: createRecordCancellation(prisma, deps.workspacesDir, trees),
    recordEscalation: createRecordEscalation(prisma),
    deliverEscalation: createDeliverEscalation(deps),
    ...createPhaseWorkActivities(prisma, config),
    routeTask: createRouteTask(prisma, config, new AgentRegistry(prisma)),
    executeTask: createExecuteTask(deps, trees),
    verifyWorkspace: createVerifyWorkspace(repositories),
    integrate: createIntegrate(repositories),
  };
}
