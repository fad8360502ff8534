/**
 * Agent registry rules (seed 004 milestones 1.3 and 3.1; seed 000 registry notes): agents heartbeat
 * every 30 s, one that missed three is stale, and the best fit for a task is the healthy, enabled
 * agent with every required capability and the fewest others (a specialist first), then the most
 * free capacity. Pure module: no Node, Prisma or Temporal imports.
 */

/** How often an agent heartbeats the registry, ms (seed 004, milestone 1.3: every 30 seconds). */
export const AGENT_HEARTBEAT_INTERVAL_MS = 30_000;

/** An agent whose last heartbeat is older than this is stale, ms (three missed heartbeats). */
export const AGENT_STALE_AFTER_MS = 3 * AGENT_HEARTBEAT_INTERVAL_MS;

/** Health statuses of an agent. */
export const AGENT_HEALTH = ['healthy', 'unhealthy', 'unknown'] as const;

/** One of {@link AGENT_HEALTH}. */
export type AgentHealth = (typeof AGENT_HEALTH)[number];

/** What ranking needs to know of an agent. */
export interface AgentCandidate {
  name: string;
  capabilities: string[];
  capacity: number;
  /** Tasks it runs now. */
  running: number;
  enabled: boolean;
  healthStatus: string;
  lastHeartbeat: Date | null;
}

/** Whether `agent` missed its heartbeats as of `now`. */
export function isStale(agent: Pick<AgentCandidate, 'lastHeartbeat'>, now: Date): boolean {
  return agent.lastHeartbeat === null || now.getTime() - agent.lastHeartbeat.getTime() > AGENT_STALE_AFTER_MS;
}

/**
 * The agents that can take a task requiring `required`, best fit first: enabled, not unhealthy,
 * not stale, with every required capability; ranked by fewest extra capabilities, then most free
 * capacity, then latest heartbeat, then name. Agents at capacity rank after all others.
 */
export function rankAgents<T extends AgentCandidate>(agents: readonly T[], required: readonly string[], now: Date): T[] {
  const free = (agent: T) => agent.capacity - agent.running;
  return agents
    .filter((agent) => agent.enabled && agent.healthStatus !== 'unhealthy' && !isStale(agent, now))
    .filter((agent) => required.every((capability) => agent.capabilities.includes(capability)))
    .sort(
      (a, b) =>
        Number(free(a) <= 0) - Number(free(b) <= 0) ||
        a.capabilities.length - b.capabilities.length ||
        free(b) - free(a) ||
        (b.lastHeartbeat?.getTime() ?? 0) - (a.lastHeartbeat?.getTime() ?? 0) ||
        a.name.localeCompare(b.name),
    );
}
