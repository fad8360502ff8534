/**
 * Routing tasks to registered agents (seed 004 milestones 1.3 and 3.1), on a real dev server and
 * PostgreSQL: a task needing an agent's capability runs on that agent's worker; when the agent
 * process dies mid-task, the execution times out on its heartbeat, the agent is stale, and the
 * next attempt is routed elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrchestratorConfig } from '../../src/agents/config';
import { Phase } from '../../src/ticket/phases';
import { startAgentWorker } from '../../src/agents/worker';
import type { ticketWorkflow } from '../../workflows';
import { getStateQuery } from '../../workflows/ticket/messages';
import { testActivities, useTicketStack } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';
import { eventually } from '../helpers/poll';

const ROOT = path.resolve(__dirname, '..', '..');
const stack = useTicketStack();
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

it('runs a task on the registered agent that fits it best', async () => {
  const analyst = await startAgentWorker({
    connection: stack.env.nativeConnection,
    namespace: 'default',
    ticketQueue: stack.worker.taskQueue,
    name: 'analyst',
    capabilities: ['analysis'],
    capacity: 1,
    activities: testActivities(stack.db.prisma, loadOrchestratorConfig()),
  });
  try {
    const tickets = stack.tickets();
    const { ticket } = await tickets.create({ ...RICH_TICKET, title: 'Route me', policy: 'manual' });
    await tickets.transition(ticket.id, { toPhase: Phase.REQUIREMENTS, requestId: 'go' });
    const handle = stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
    await eventually(async () => (await handle.query(getStateQuery)).run.step === 'complete', 'REQUIREMENTS to complete');
    const tasks = await stack.db.prisma.task.findMany({ where: { ticketId: ticket.id } });
    expect(Object.fromEntries(tasks.map((task) => [task.taskType, task.assignedAgent]))).toMatchObject({
      analyze_requirements: 'analyst',
      create_requirements_doc: 'reference-agent',
    });
  } finally {
    await analyst.stop();
  }
  expect((await stack.db.prisma.agent.findUniqueOrThrow({ where: { name: 'analyst' } })).healthStatus).toBe('unhealthy');
});

it('routes the next attempt elsewhere when the agent process running the task dies', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'doomed-agent-'));
  const configFile = path.join(dir, 'orchestrator.json');
  const faultAgent = path.join(ROOT, 'test', 'fixtures', 'agents', 'fault-agent.mjs');
  writeFileSync(
    configFile,
    JSON.stringify({
      backends: [
        { name: 'hang', type: 'command', capabilities: ['analysis'], command: 'node', args: [faultAgent], env: { FAULT: 'hang' }, heartbeatTimeoutMs: 2000 },
      ],
    }),
  );
  const workspaces = path.join(dir, 'workspaces');
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'src', 'entrypoints', 'agent-worker.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_TASK_QUEUE: stack.worker.taskQueue,
      ORCHESTRATOR_CONFIG: configFile,
      WORKSPACES_DIR: workspaces,
      // Another machine: its own cached clones.
      REPOSITORY_CACHE_DIR: path.join(dir, 'cache'),
      AGENT_NAME: 'doomed',
      AGENT_CAPABILITIES: 'analysis',
      LOG_LEVEL: 'error',
    },
  });
  children.push(child);
  await eventually(() => stack.db.prisma.agent.findUnique({ where: { name: 'doomed' } }).then((agent) => agent ?? undefined), 'the agent to register');
  // Its worker must be polling before a task is routed to it.
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const tickets = stack.tickets();
  const { ticket } = await tickets.create({ ...RICH_TICKET, title: 'Survive the agent', policy: 'manual' });
  await tickets.transition(ticket.id, { toPhase: Phase.REQUIREMENTS, requestId: 'go' });
  const task = await eventually(
    () =>
      stack.db.prisma.task
        .findFirst({ where: { ticketId: ticket.id, taskType: 'analyze_requirements', status: 'running', assignedAgent: 'doomed' } })
        .then((row) => row ?? undefined),
    'the task to run on the doomed agent',
  );
  const pidFile = path.join(workspaces, ticket.id, 'analyze_requirements.pid');
  const agentPid = await eventually(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined), 'the agent process');

  // The agent's machine dies: worker and agent process, and with them its heartbeats (aged here to skip the 90 s wait).
  process.kill(-child.pid!, 'SIGKILL');
  process.kill(agentPid, 'SIGKILL');
  await stack.db.prisma.agent.update({ where: { name: 'doomed' }, data: { lastHeartbeat: new Date(Date.now() - 5 * 60_000) } });

  const handle = stack.env.client.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
  await eventually(async () => (await handle.query(getStateQuery)).run.step === 'complete', 'REQUIREMENTS to complete elsewhere');
  const done = await stack.db.prisma.task.findUniqueOrThrow({ where: { id: task.id } });
  expect(done).toMatchObject({ status: 'completed', assignedAgent: 'reference-agent', attempts: 2 });
  const { events } = await handle.fetchHistory();
  const timedOut = (events ?? []).filter((event) => event.activityTaskTimedOutEventAttributes);
  expect(timedOut).toHaveLength(1);
  expect((await stack.db.prisma.agent.findUniqueOrThrow({ where: { name: 'doomed' } })).healthStatus).toBe('unhealthy');
});
