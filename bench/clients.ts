/**
 * The two sides' requests, one function each, as the load driver calls them: the project through
 * its REST API (Node's fetch, i.e. undici, keep-alive, no connection limit) and the bare baseline
 * through the Temporal client and `pg`. Each resolves on the expected answer and throws a short
 * message otherwise (status and error code, or "no answer within 60 s").
 */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { bareStateQuery, bareTicketWorkflow, bareTransitionUpdate } from './baseline/workflows';
import { BARE_TASK_QUEUE } from './stack';

/** How long one request may go unanswered before it counts as failed, ms. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** A ticket as the benchmark needs it. */
export interface CreatedTicket {
  id: string;
  workflowId: string;
}

/** The project's REST API at `apiUrl`. */
export class ProjectClient {
  constructor(private readonly apiUrl: string) {}

  /**
   * One request; resolves with the JSON body when the status is `expected`.
   *
   * @throws Error `HTTP <status> <error code>`, or `no answer within 60 s`, or the network error.
   */
  private async call<T>(method: string, path: string, expected: number, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') throw new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
      throw new Error(
        `${method} ${path.split('/')[1]}: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`,
      );
    }
    const text = await response.text();
    if (response.status !== expected) {
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? '';
      throw new Error(`HTTP ${response.status} ${code}`.trim());
    }
    return JSON.parse(text) as T;
  }

  /** POST /tickets (201). */
  createTicket(title: string, policy: 'auto' | 'manual'): Promise<CreatedTicket> {
    return this.call<CreatedTicket>('POST', '/tickets', 201, {
      title,
      description: `${title}: a benchmark ticket.`,
      acceptanceCriteria: ['It answers fast'],
      policy,
    });
  }

  /** POST /tickets/:id/transition (200). */
  transition(ticketId: string, toPhase: string): Promise<unknown> {
    return this.call('POST', `/tickets/${ticketId}/transition`, 200, { toPhase, transitionedBy: 'bench' });
  }

  /** GET /tickets/:id/state (200). */
  state<T = { run: { step: string }; phase: string }>(ticketId: string): Promise<T> {
    return this.call<T>('GET', `/tickets/${ticketId}/state`, 200);
  }

  /** GET /tickets (200): the first page (default 20), newest first, with the total. */
  list(): Promise<{ total: number }> {
    return this.call('GET', '/tickets', 200);
  }
}

/** The bare baseline: its workflows on the dev server and its table in the database. */
export class BareClient {
  constructor(
    private readonly temporal: Client,
    private readonly pool: pg.Pool,
  ) {}

  /** Starts a bare ticket workflow `workflowId` (the counterpart of POST /tickets). */
  async start(workflowId: string): Promise<void> {
    await this.temporal.workflow.start(bareTicketWorkflow, { workflowId, taskQueue: BARE_TASK_QUEUE });
  }

  /** The bare transition update: one activity writing one row (the counterpart of POST …/transition). */
  transition(workflowId: string, toPhase: string): Promise<unknown> {
    return this.temporal.workflow.getHandle(workflowId).executeUpdate(bareTransitionUpdate, { args: [{ toPhase }] });
  }

  /** The bare state query (the counterpart of GET /tickets/:id/state). */
  state(workflowId: string): Promise<unknown> {
    return this.temporal.workflow.getHandle(workflowId).query(bareStateQuery);
  }

  /**
   * The bare list: the newest 20 rows of `bench_list_rows` and the total, in one SQL statement (the
   * counterpart of GET /tickets, which reads a page and the count in one transaction).
   */
  async list(): Promise<{ total: number }> {
    const { rows } = await this.pool.query<{ total: string }>(
      'SELECT id, workflow_id, step, detail, created_at, count(*) OVER () AS total FROM bench_list_rows ORDER BY created_at DESC, id LIMIT 20',
    );
    return { total: Number(rows[0]?.total ?? 0) };
  }

  /** Adds rows until `bench_list_rows` holds `count` rows (what the bare list reads). */
  async fillListRows(count: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO bench_list_rows (workflow_id, step, detail)
       SELECT 'seed', n, 'seed' FROM generate_series((SELECT count(*) FROM bench_list_rows) + 1, $1::int) AS n
       ON CONFLICT DO NOTHING`,
      [count],
    );
  }
}
