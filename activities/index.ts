/**
 * The orchestrator's activities, built around injected dependencies (Prisma client, orchestrator
 * configuration, workspaces, logger) so the worker passes the real ones and tests their own.
 * Workflows import the *type* only. Activity names are what the Temporal Web UI shows.
 */
import { AgentRegistry } from '../src/agents/registry';
import { createCollectArtifacts } from './phase-work/collect-artifacts';
import { createExecuteTask, type ExecuteTaskDependencies } from './agents/execute-task';
import { createGenerateTasks, createPlanValidationTask } from './phase-work/generate-tasks';
import { createRecordCancellation } from './ticket/record-cancellation';
import { createRecordTaskOutcome } from './phase-work/record-task-outcome';
import { createRecordTransition } from './ticket/record-transition';
import { createRouteTask } from './agents/route-task';
import { createUpdateContext } from './phase-work/update-context';
import { createValidateGate } from './phase-work/validate-gate';

/** What the activities need (see {@link ExecuteTaskDependencies} for each field). */
export type ActivityDependencies = ExecuteTaskDependencies;

/** Every activity the ticket workflow calls, keyed by activity name. */
export function createActivities(deps: ActivityDependencies) {
  const { prisma, config } = deps;
  return {
    recordTransition: createRecordTransition(prisma),
    generateTasks: createGenerateTasks(prisma),
    planValidationTask: createPlanValidationTask(prisma),
    routeTask: createRouteTask(prisma, config, new AgentRegistry(prisma)),
    executeTask: createExecuteTask(deps),
    recordTaskOutcome: createRecordTaskOutcome(prisma),
    recordCancellation: createRecordCancellation(prisma, deps.workspacesDir),
    collectArtifacts: createCollectArtifacts(prisma),
    validateGate: createValidateGate(prisma, config),
    updateContext: createUpdateContext(prisma),
  };
}

/** The activity interface workflows proxy (`proxyActivities<TicketActivities>`). */
export type TicketActivities = ReturnType<typeof createActivities>;
