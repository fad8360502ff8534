/**
 * Fault "many callers at once": 100 concurrent transition requests on ONE ticket through the REST
 * API (a real listening server, real Temporal dev server, worker and PostgreSQL). The burst mixes
 * the same target under distinct request IDs, repeated request IDs, and other targets, some of
 * which become valid only after others were applied. Only the state machine is exercised: manual
 * policy, no gated or validation phases, every task template disabled.
 *
 * Whatever order the workflow sees them in, every caller must get a definite answer (200, or 409
 * with the one error body; never a 5xx, never a hang), every accepted request ID must have exactly
 * one phase_history row (rows = accepted IDs = the ticket's transitionCount, sequences dense 1..n,
 * each row continuing from the previous one), and every copy of a repeated request ID must get the
 * same answer as the first.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Phase } from '../../src/ticket/phases';
import { STATE_MACHINE_ONLY, stackApp, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  const app = stackApp(stack, STATE_MACHINE_ONLY);
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** One HTTP answer: status and parsed JSON body (or the raw text when it is not JSON). */
interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

/** No answer within this is a hang (below the test's own timeout, so a hang is reported as one). */
const ANSWER_TIMEOUT_MS = 30_000;
jest.setTimeout(90_000);

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // kept as text: the assertion below shows it
  }
  return { status: response.status, body: parsed, ms: Date.now() - started };
}

async function createTicket(): Promise<{ id: string }> {
  const created = await call('POST', '/tickets', { title: 'Concurrent transitions', externalId: `CONC-${randomUUID()}`, policy: 'manual' });
  expect(created.status).toBe(201);
  return created.body as { id: string };
}

/** One request of the burst. */
interface Planned {
  toPhase: Phase;
  requestId: string;
  kind: 'same target, distinct ID' | 'repeated ID' | 'other target';
}

/** Deterministic shuffle (mulberry32), so every run interleaves the kinds the same way. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * The burst: 100 requests. REQUIREMENTS is valid only from BACKLOG (nothing in the burst leads back
 * there: no BLOCKED), and DONE and BACKLOG are never reachable from the phases the burst can reach
 * (DEPLOYMENT is not in it), so each repeated ID has one right answer whatever the order. DESIGN,
 * IMPLEMENTATION and TESTING become valid only once the phase before them was applied (and TESTING →
 * IMPLEMENTATION is a valid regression), so how many of those succeed depends on the order.
 * Repeated IDs whose target can turn from invalid to valid are left to the sequential test below.
 */
function plan(tag: string): Planned[] {
  const requests: Planned[] = [];
  const add = (count: number, toPhase: Phase, kind: Planned['kind'], id: (i: number) => string) => {
    for (let i = 0; i < count; i++) requests.push({ toPhase, kind, requestId: id(i) });
  };
  add(30, Phase.REQUIREMENTS, 'same target, distinct ID', (i) => `${tag}-req-${i}`);
  for (let group = 0; group < 4; group++) add(5, Phase.REQUIREMENTS, 'repeated ID', () => `${tag}-repeat-req-${group}`);
  for (let group = 0; group < 2; group++) add(5, Phase.DONE, 'repeated ID', () => `${tag}-repeat-done-${group}`);
  for (let group = 0; group < 2; group++) add(5, Phase.BACKLOG, 'repeated ID', () => `${tag}-repeat-backlog-${group}`);
  add(15, Phase.DESIGN, 'other target', (i) => `${tag}-design-${i}`);
  add(5, Phase.IMPLEMENTATION, 'other target', (i) => `${tag}-impl-${i}`);
  add(10, Phase.TESTING, 'other target', (i) => `${tag}-testing-${i}`);
  return shuffled(requests, 20261121);
}

/** The part of an answer a repeated request must reproduce: the status and, for an error, its code. */
const verdict = ({ status, body }: Answer) => `${status} ${status === 200 ? 'accepted' : (body as { error?: { code?: string } }).error?.code}`;

const ERROR_BODY = { error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } };

describe('100 concurrent transition requests on one ticket', () => {
  it('answers every caller definitely, records each accepted request exactly once, and answers repeated IDs alike', async () => {
    const ticket = await createTicket();
    const burst = plan('burst');
    expect(burst).toHaveLength(100);

    const started = Date.now();
    const settled = await Promise.allSettled(
      burst.map((request) =>
        call('POST', `/tickets/${ticket.id}/transition`, { toPhase: request.toPhase, requestId: request.requestId, transitionedBy: 'burst' }),
      ),
    );
    const elapsedMs = Date.now() - started;

    // Every caller got an answer (no network error, no timeout) ...
    const hung = settled.flatMap((outcome, index) => (outcome.status === 'rejected' ? [`${burst[index]!.requestId}: ${String(outcome.reason)}`] : []));
    expect(hung).toEqual([]);
    const answers = settled.map((outcome) => (outcome as PromiseFulfilledResult<Answer>).value);
    // ... and a definite one: 200 with the state, or 409 with the error body.
    const unexpected = answers.flatMap((answer, index) => (answer.status === 200 || answer.status === 409 ? [] : [{ request: burst[index], answer }]));
    expect(unexpected).toEqual([]);
    answers.forEach((answer, index) => {
      if (answer.status === 200) expect(answer.body).toMatchObject({ ticketId: ticket.id, phase: expect.any(String) });
      else {
        expect(answer.body).toEqual(ERROR_BODY);
        expect(['INVALID_TRANSITION', 'GATE_NOT_PASSED']).toContain((answer.body as { error: { code: string } }).error.code);
        expect((answer.body as { error: { details: { toPhase: string } } }).error.details.toPhase).toBe(burst[index]!.toPhase);
      }
    });

    // Each copy of a repeated request ID got the same answer.
    const byId = new Map<string, string[]>();
    burst.forEach((request, index) => byId.set(request.requestId, [...(byId.get(request.requestId) ?? []), verdict(answers[index]!)]));
    const repeated = [...byId].filter(([, verdicts]) => verdicts.length > 1);
    expect(repeated).toHaveLength(8);
    for (const [requestId, verdicts] of repeated) expect({ requestId, verdicts: [...new Set(verdicts)] }).toEqual({ requestId, verdicts: [verdicts[0]] });

    // Accepted request IDs ↔ phase_history rows, one each, dense and chained from BACKLOG.
    const accepted = [...byId].filter(([, verdicts]) => verdicts[0] === '200 accepted').map(([requestId]) => requestId);
    const history = await stack.db.prisma.phaseHistory.findMany({ where: { ticketId: ticket.id }, orderBy: { sequence: 'asc' } });
    expect(history.map((row) => row.sequence)).toEqual(history.map((_, index) => index + 1));
    expect(history.map((row) => row.requestId).sort()).toEqual([...accepted].sort());
    expect(new Set(history.map((row) => row.requestId)).size).toBe(history.length);
    history.forEach((row, index) => expect(row.fromPhase).toBe(index === 0 ? Phase.BACKLOG : history[index - 1]!.toPhase));
    // Exactly one of the 50 REQUIREMENTS requests won; it came first.
    expect(history[0]!.toPhase).toBe(Phase.REQUIREMENTS);
    expect(history.filter((row) => row.toPhase === Phase.REQUIREMENTS)).toHaveLength(1);

    const state = await call('GET', `/tickets/${ticket.id}/state`);
    expect(state.status).toBe(200);
    const final = state.body as { phase: Phase; transitionCount: number };
    expect(final.transitionCount).toBe(accepted.length);
    expect(final.phase).toBe(history.at(-1)!.toPhase);
    const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ version: accepted.length, phaseId: final.phase });

    // Asked again one by one after the burst, every repeated ID still gets its first answer, and nothing new is recorded.
    for (const [requestId, verdicts] of repeated) {
      const request = burst.find((candidate) => candidate.requestId === requestId)!;
      const again = await call('POST', `/tickets/${ticket.id}/transition`, { toPhase: request.toPhase, requestId, transitionedBy: 'burst' });
      expect({ requestId, verdict: verdict(again) }).toEqual({ requestId, verdict: verdicts[0] });
    }
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id } })).toBe(accepted.length);

    const slowest = Math.max(...answers.map((answer) => answer.ms));
    const counts = Object.entries(
      answers.reduce<Record<string, number>>((acc, answer) => ({ ...acc, [verdict(answer)]: (acc[verdict(answer)] ?? 0) + 1 }), {}),
    );
    console.info(
      `concurrent transitions: ${burst.length} requests answered in ${elapsedMs} ms (slowest ${slowest} ms); ${counts.map(([k, v]) => `${k}: ${v}`).join(', ')}; ` +
        `accepted path: ${history.map((r) => r.toPhase).join(' → ')}`,
    );
  });

  it('answers a request ID refused by the update validator the same way when it is repeated after the ticket moved on', async () => {
    const ticket = await createTicket();
    // DESIGN from BACKLOG is refused (by the update's validator, before anything reaches history).
    const first = await call('POST', `/tickets/${ticket.id}/transition`, { toPhase: Phase.DESIGN, requestId: 'early-design' });
    expect(first.status).toBe(409);
    expect(first.body).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });
    const moved = await call('POST', `/tickets/${ticket.id}/transition`, { toPhase: Phase.REQUIREMENTS, requestId: 'to-requirements' });
    expect(moved.status).toBe(200);
    // The same request again: a repeated request ID must get its first answer, not a new verdict.
    const repeat = await call('POST', `/tickets/${ticket.id}/transition`, { toPhase: Phase.DESIGN, requestId: 'early-design' });
    expect({ status: repeat.status, code: (repeat.body as { error?: { code?: string } }).error?.code }).toEqual({ status: 409, code: 'INVALID_TRANSITION' });
    expect(await stack.db.prisma.phaseHistory.count({ where: { ticketId: ticket.id, requestId: 'early-design' } })).toBe(0);
  });
});
