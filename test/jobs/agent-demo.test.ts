/**
 * The Claude Code demonstration (issue 10, "Main job and docs"): `npm start -- --once --agent
 * claude-code <tickets.json>` with ANTHROPIC_BASE_URL at the scripted model of
 * examples/model-servers/anthropic-demo.mjs takes a ticket to PHASE_DONE. The main job
 * (src/entrypoints/main.ts, through tsx as scripts/start.mjs runs it) on this file's PostgreSQL
 * database and Temporal dev server; every task runs the real Claude Code CLI, whose model runs the
 * reference agent through Claude Code's Bash tool; every CLI call goes through the refusing proxy.
 * Also: an unknown `--agent` exits 2 before starting anything.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Phase } from '../../src/ticket/phases';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { freePort } from '../helpers/dev-server';
import { testEnv } from '../helpers/env';
import { createTemporalEnvironment } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';
import { TSX_CLI } from '../helpers/worker-process';
import { startRefusingProxy, type RefusingProxy } from '../fixtures/model-servers/refusing-proxy';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'entrypoints', 'main.ts');
const DEMO_MODEL = path.join(ROOT, 'examples', 'model-servers', 'anthropic-demo.mjs');

/** A finished process: exit code (or signal) and everything it wrote. */
interface Finished {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` with `env` over this process's environment until it exits (killed after `timeoutMs`). */
function runNode(args: string[], env: Record<string, string>, timeoutMs: number): Promise<Finished> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    }),
  );
}

/** Starts the demo model as `node anthropic-demo.mjs` (its own process, as a user would) and reads the base URL it prints. */
async function startDemoModel(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, [DEMO_MODEL], { stdio: ['ignore', 'pipe', 'inherit'] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the demo model exited (${code}) before printing its URL`)));
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
  });
  return { child, baseUrl };
}

describe('npm start -- --agent', () => {
  it('exits 2 naming the accepted agents when --agent names no coding-agent CLI', async () => {
    const finished = await runNode([TSX_CLI, MAIN, '--once', '--agent', 'cursor'], {}, 60_000);
    expect(finished.code).toBe(2);
    expect(finished.stderr).toContain('unknown agent "cursor": --agent takes one of claude-code, codex, gemini-cli, aider');
  });

  describe('the Claude Code demonstration', () => {
    let db: TestDatabase;
    let temporal: TestWorkflowEnvironment;
    let proxy: RefusingProxy;
    let model: { child: ChildProcess; baseUrl: string };
    let dataDir: string;

    beforeAll(async () => {
      [db, temporal, proxy, model] = await Promise.all([createTestDatabase(), createTemporalEnvironment(), startRefusingProxy(), startDemoModel()]);
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'agent-demo-'));
    });

    afterAll(async () => {
      model?.child.kill();
      await proxy?.close();
      await temporal?.teardown();
      await db?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('takes a ticket to PHASE_DONE with the real Claude Code CLI, recording each execution’s tokens and reported cost', async () => {
      const externalId = `DEMO-${randomUUID().slice(0, 8)}`;
      const tickets = path.join(dataDir, 'tickets.json');
      writeFileSync(tickets, JSON.stringify({ tickets: [{ ...RICH_TICKET, externalId }] }));
      const finished = await runNode(
        [TSX_CLI, MAIN, '--once', '--agent', 'claude-code', tickets],
        {
          DATABASE_URL: db.url,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: `demo-${randomUUID()}`,
          PORT: String(await freePort()),
          DATA_DIR: dataDir,
          REPOSITORY_CACHE_DIR: testEnv.repositoryCacheDir(),
          TASK_RETRY_INITIAL_MS: '200',
          LOG_LEVEL: 'warn',
          ORCHESTRATOR_AGENT_MODEL: 'claude-sonnet-4-5',
          ANTHROPIC_BASE_URL: model.baseUrl,
          ANTHROPIC_API_KEY: 'sk-ant-api03-demo-key',
          ...proxy.env(),
        },
        280_000,
      );
      const output = `${finished.stdout}\n${finished.stderr}`;
      expect({ code: finished.code, output }).toEqual({ code: 0, output: expect.stringContaining(`${externalId} ${Phase.DONE}`) });
      expect(finished.stdout).toContain('claude-code and gates take them through the phases');
      // The table's row: tokens and a cost.
      expect(finished.stdout.split('\n').find((line) => line.startsWith(externalId))).toMatch(/ \d+(\.\d)?k +\$\d+\.\d{4} +\d+\.\d +DONE$/);

      const ticket = await db.prisma.ticket.findUniqueOrThrow({ where: { externalId } });
      expect(ticket.phaseId).toBe(Phase.DONE);
      const executions = await db.prisma.agentExecution.findMany({ where: { task: { ticketId: ticket.id } } });
      expect(executions.length).toBeGreaterThan(5);
      for (const execution of executions) {
        expect(execution).toMatchObject({ backend: 'claude-code', backendType: 'claude-code', status: 'completed', costSource: 'reported' });
        expect(execution.costUsd?.toNumber()).toBeGreaterThan(0);
        expect(execution.inputTokens).toBeGreaterThan(0);
        expect(execution.turns).toBeGreaterThanOrEqual(2);
        expect(execution.sessionId).toEqual(expect.any(String));
      }
      // The reference agent's work, run through Claude Code's Bash tool, was committed on the ticket's branch.
      const remote = path.join(dataDir, 'repositories', 'example.git');
      const commits = execFileSync('git', ['-C', remote, 'rev-list', '--count', `${ticket.baseCommit}..${ticket.branch}`], { encoding: 'utf8' });
      expect(Number(commits)).toBeGreaterThan(0);
      expect(proxy.log).toEqual([]);
    }, 300_000);
  });
});
