/**
 * Agent registry endpoints under /api/v1 (seed 004 milestones 1.3 and 3.1): register, update,
 * search by capability (ranked best fit), enable and disable, heartbeat. Validated with zod first.
 */
import { Router } from 'express';
import type { AgentRegistry } from './registry';
import { registeredAgentQueue } from '../platform/task-queues';
import { registerAgentBody, searchAgentsQuery, updateAgentBody } from './schemas';

/** Builds the agents router; `ticketQueue` names new agents' default task queues. */
export function agentsRouter(registry: AgentRegistry, ticketQueue: string): Router {
  const router = Router();

  /**
   * POST /agents — body `{ name, capabilities, capacity?, tags?, taskQueue?, timeoutMs?,
   * heartbeatTimeoutMs? }`. Registers (201) or re-registers by name (200); counts as a heartbeat.
   * The agent's worker must poll `taskQueue` (default `<ticket queue>-agent-<name>`). 400.
   */
  router.post('/agents', async (req, res) => {
    const body = registerAgentBody.parse(req.body);
    const { agent, created } = await registry.register({ ...body, taskQueue: body.taskQueue ?? registeredAgentQueue(ticketQueue, body.name) });
    res.status(created ? 201 : 200).json(agent);
  });

  /** GET /agents — every agent, by name. 200 `{ items }`. */
  router.get('/agents', async (_req, res) => {
    res.json({ items: await registry.list() });
  });

  /**
   * GET /agents/search?capabilities=a,b — enabled, healthy, fresh agents with every capability,
   * best fit first (fewest other capabilities, then most free capacity), each with `running`.
   * 200 `{ items }`; 400.
   */
  router.get('/agents/search', async (req, res) => {
    res.json({ items: await registry.search(searchAgentsQuery.parse(req.query).capabilities) });
  });

  /** GET /agents/:id — 200; 404 AGENT_NOT_FOUND. */
  router.get('/agents/:id', async (req, res) => {
    res.json(await registry.get(req.params.id));
  });

  /** PATCH /agents/:id — capabilities, capacity, tags, timeouts or enabled. 200; 404; 400. */
  router.patch('/agents/:id', async (req, res) => {
    res.json(await registry.update(req.params.id, updateAgentBody.parse(req.body)));
  });

  /** POST /agents/:id/enable — it gets work again. 200; 404. */
  router.post('/agents/:id/enable', async (req, res) => {
    res.json(await registry.update(req.params.id, { enabled: true }));
  });

  /** POST /agents/:id/disable — it gets no new work; running tasks finish. 200; 404. */
  router.post('/agents/:id/disable', async (req, res) => {
    res.json(await registry.update(req.params.id, { enabled: false }));
  });

  /** POST /agents/:id/heartbeat — the agent is alive (every 30 s). 200 with the agent; 404. */
  router.post('/agents/:id/heartbeat', async (req, res) => {
    res.json(await registry.heartbeat(req.params.id));
  });

  return router;
}
