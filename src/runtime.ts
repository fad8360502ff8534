/**
 * What every process of the orchestrator derives from its configuration, in one place: the
 * orchestrator configuration file, the workflow settings of new tickets, and the activities'
 * dependencies. Used by the all-in-one stack and the stand-alone API and worker processes.
 */
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { ActivityDependencies } from '../activities';
import { loadOrchestratorConfig, type OrchestratorConfig } from './agents/config';
import { agentOverride } from './agents/cli/agent-override';
import { workflowSettings, type Config } from './platform/config';
import type { TicketSettings } from './ticket/settings';
import type { Logger } from './platform/logger';

/** The derived runtime configuration. */
export interface Runtime {
  orchestrator: OrchestratorConfig;
  /** Settings new tickets' workflows start with (the policy comes from each ticket). */
  settings: Omit<TicketSettings, 'policy'>;
  activities: ActivityDependencies;
}

/**
 * Loads the orchestrator configuration file (ORCHESTRATOR_CONFIG, default config/orchestrator.json;
 * `${DATA_DIR}` in its repositories' URLs is DATA_DIR) and derives the rest. Workspaces default to
 * DATA_DIR/workspaces, the repository caches to DATA_DIR/repository-cache; the callback base URL to
 * the local API on PORT. ORCHESTRATOR_AGENT replaces the file's backends by that one CLI
 * ({@link agentOverride}, reading its model and endpoints from `env`).
 *
 * @throws Error when the configuration file is unreadable or invalid, or ORCHESTRATOR_AGENT names no CLI.
 */
export function loadRuntime(config: Config, prisma: PrismaClient, log: Logger, env: NodeJS.ProcessEnv = process.env): Runtime {
  const file = loadOrchestratorConfig(config.ORCHESTRATOR_CONFIG, { dataDir: config.DATA_DIR });
  const orchestrator = config.ORCHESTRATOR_AGENT ? agentOverride(file, config.ORCHESTRATOR_AGENT, env) : file;
  return {
    orchestrator,
    settings: workflowSettings(config, orchestrator),
    activities: {
      prisma,
      config: orchestrator,
      workspacesDir: config.WORKSPACES_DIR ?? path.join(config.DATA_DIR, 'workspaces'),
      repositoryCacheDir: config.REPOSITORY_CACHE_DIR ?? path.join(config.DATA_DIR, 'repository-cache'),
      publicApiUrl: config.PUBLIC_API_URL ?? `http://127.0.0.1:${config.PORT}/api/v1`,
      logger: log,
    },
  };
}
