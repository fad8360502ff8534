/**
 * The agent registry (seed 004 milestone 3.1): agents register with their capabilities, capacity,
 * tags and task queue, heartbeat, and are searched by capability (ranked best fit), enabled and
 * disabled. Used by the API, the stand-alone agent workers and the `routeTask` activity.
 */
import type { Agent, PrismaClient } from '@prisma/client';
import { AGENT_STALE_AFTER_MS, isStale, rankAgents, type AgentHealth } from './ranking';
import { isUuid } from '../platform/ids';
import { TaskStatus } from '../phase-work/tasks';

/** Fields of an agent registration. */
export interface AgentRegistration {
  name: string;
  capabilities: string[];
  capacity?: number;
  tags?: string[];
  /** The Temporal task queue its worker polls. */
  taskQueue: string;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
}

/** An agent with the number of tasks it runs now. */
export type RankedAgent = Agent & { running: number };

/** No agent with that ID (API: 404 AGENT_NOT_FOUND). */
export class AgentNotFoundError extends Error {
  constructor(readonly agentId: string) {
    super(`agent ${agentId} not found`);
  }
}

/** Agents as rows. */
export class AgentRegistry {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Registers an agent, or updates the registration of the one with that name (an agent worker
   * re-registers each time it starts). Counts as a heartbeat.
   *
   * @returns the agent and whether it was new
   */
  async register(input: AgentRegistration): Promise<{ agent: Agent; created: boolean }> {
    const existing = await this.prisma.agent.findUnique({ where: { name: input.name } });
    const heartbeat = { lastHeartbeat: new Date(), healthStatus: 'healthy' satisfies AgentHealth };
    const agent = await this.prisma.agent.upsert({ where: { name: input.name }, create: { ...input, ...heartbeat }, update: { ...input, ...heartbeat } });
    return { agent, created: existing === null };
  }

  /** One agent. @throws AgentNotFoundError */
  async get(id: string): Promise<Agent> {
    const agent = isUuid(id) ? await this.prisma.agent.findUnique({ where: { id } }) : null;
    if (!agent) throw new AgentNotFoundError(id);
    return agent;
  }

  /** Every agent, by name, stale ones marked unhealthy first. */
  async list(): Promise<Agent[]> {
    await this.markStale();
    return this.prisma.agent.findMany({ orderBy: { name: 'asc' } });
  }

  /** Changes capabilities, capacity, tags, timeouts or the enabled flag. @throws AgentNotFoundError */
  async update(id: string, changes: Partial<Omit<AgentRegistration, 'name'>> & { enabled?: boolean }): Promise<Agent> {
    await this.get(id);
    return this.prisma.agent.update({ where: { id }, data: changes });
  }

  /** Records a heartbeat: the agent is healthy as of now. @throws AgentNotFoundError */
  async heartbeat(id: string): Promise<Agent> {
    await this.get(id);
    return this.prisma.agent.update({ where: { id }, data: { lastHeartbeat: new Date(), healthStatus: 'healthy' } });
  }

  /** Marks an agent unhealthy (stale heartbeat, or no worker polls its queue). */
  async markUnhealthy(id: string): Promise<void> {
    await this.prisma.agent.updateMany({ where: { id }, data: { healthStatus: 'unhealthy' } });
  }

  /** Marks every agent that missed three heartbeats unhealthy. @returns how many were marked */
  async markStale(now = new Date()): Promise<number> {
    const { count } = await this.prisma.agent.updateMany({
      where: { healthStatus: { not: 'unhealthy' }, OR: [{ lastHeartbeat: null }, { lastHeartbeat: { lt: new Date(now.getTime() - AGENT_STALE_AFTER_MS) } }] },
      data: { healthStatus: 'unhealthy' },
    });
    return count;
  }

  /**
   * Agents that can take a task requiring `capabilities`, best fit first (see `rankAgents`), each
   * with the number of tasks it runs now. Candidates that missed their heartbeats are marked
   * unhealthy on the way (one UPDATE only when there are such; issue 8 §2: no write per routing).
   */
  async search(capabilities: readonly string[], now = new Date()): Promise<RankedAgent[]> {
    return this.rank(await this.prisma.agent.findMany({ where: { enabled: true, capabilities: { hasEvery: [...capabilities] } } }), capabilities, now);
  }

  /**
   * Every enabled agent: what routing reads at the same time as the task, before it knows the
   * task's capabilities (issue 8 §3: one round trip fewer per execution), to {@link rank} them.
   */
  async enabledAgents(): Promise<Agent[]> {
    return this.prisma.agent.findMany({ where: { enabled: true } });
  }

  /**
   * {@link search} over agents already read: those of `agents` that are enabled and have every
   * one of `capabilities`, best fit first, each with the number of tasks it runs now; stale
   * candidates are marked unhealthy on the way (that UPDATE alongside the count of running
   * tasks). Queries only when there is a candidate.
   */
  async rank(agents: readonly Agent[], capabilities: readonly string[], now = new Date()): Promise<RankedAgent[]> {
    const candidates = agents.filter((agent) => agent.enabled && capabilities.every((capability) => agent.capabilities.includes(capability)));
    if (candidates.length === 0) return [];
    const stale = candidates.filter((agent) => agent.healthStatus !== 'unhealthy' && isStale(agent, now)).map((agent) => agent.id);
    const [running] = await Promise.all([
      this.prisma.task.groupBy({
        by: ['assignedAgent'],
        where: { status: TaskStatus.RUNNING, assignedAgent: { in: candidates.map((agent) => agent.name) } },
        _count: true,
      }),
      stale.length > 0 &&
        this.prisma.agent.updateMany({ where: { id: { in: stale }, healthStatus: { not: 'unhealthy' } }, data: { healthStatus: 'unhealthy' } }),
    ]);
    const runningOf = new Map(running.map((row) => [row.assignedAgent, row._count]));
    return rankAgents(
      candidates.map((agent) => ({ ...agent, running: runningOf.get(agent.name) ?? 0 })),
      capabilities,
      now,
    );
  }
}
