/**
 * Issue 11, "Clarification instead of vacuous gates", on the real stack (Temporal dev server,
 * worker, PostgreSQL, the reference agent in the example repository): a ticket without acceptance
 * criteria fails its REQUIREMENTS gate and is blocked with cause `needs_clarification` and the
 * question; `PATCH /tickets/:id` with criteria runs REQUIREMENTS again (a new run, new tasks) and the
 * ticket reaches PHASE_DONE. PATCH's refusals, and a PATCH of a ticket not blocked for clarification.
 * The main job's reviewer answers such blocks from examples/reviews/ (examples/tickets/short-tickets.json).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { criteriaOf, driveTickets } from '../../src/jobs/drive-tickets';
import { readTicketFile } from '../../src/jobs/roadmap-file';
import { clarificationQuestion } from '../../src/phase-work/gates';
import { Phase, PHASE_SEQUENCE } from '../../src/ticket/phases';
import { ticketUpdatedSignal, type TicketWorkflowState } from '../../workflows/ticket/messages';
import { poll } from '../helpers/poll';
import { stackApp, useTicketStack } from '../helpers/temporal';
import { RICH_TICKET } from '../helpers/tickets';

const stack = useTicketStack();
let app: Express;

beforeAll(() => {
  app = stackApp(stack);
});

const api = () => request(app);

function expectError(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

/** Creates an auto ticket from {@link RICH_TICKET} without acceptance criteria (unless given). */
async function createTicket(overrides: Record<string, unknown> = {}): Promise<{ id: string; externalId: string }> {
  const { acceptanceCriteria: _criteria, ...rich } = RICH_TICKET;
  const response = await api()
    .post('/api/v1/tickets')
    .send({ ...rich, externalId: `CLAR-${randomUUID().slice(0, 8)}`, policy: 'auto', ...overrides });
  expect(response.status).toBe(201);
  return response.body as { id: string; externalId: string };
}

const state = async (id: string) => (await api().get(`/api/v1/tickets/${id}/state`).expect(200)).body as TicketWorkflowState;

const waitForPhase = (id: string, phase: Phase, what: string) =>
  poll(
    () => state(id),
    (s) => s.phase === phase,
    what,
    120_000,
    250,
  );

describe('a ticket without acceptance criteria (issue 11)', () => {
  let ticket: { id: string; externalId: string };
  let blocked: TicketWorkflowState;

  beforeAll(async () => {
    ticket = await createTicket();
    blocked = await waitForPhase(ticket.id, Phase.BLOCKED, 'the ticket to be blocked for clarification');
  }, 150_000);

  it('is blocked for clarification with the question, in the state, the row and the gate result', async () => {
    const question = clarificationQuestion(ticket.externalId);
    expect(blocked.status).toBe('blocked');
    expect(blocked.blocked).toMatchObject({ fromPhase: Phase.REQUIREMENTS, entry: 1, cause: 'needs_clarification', question });
    expect(blocked.blocked!.reason).toMatch(/^needs clarification: What are the acceptance criteria of CLAR-/);
    expect(blocked.run.gate.status).toBe('failed');
    expect(blocked.run.gate.blockingReasons).toEqual(
      expect.arrayContaining([
        'ticket: acceptanceCriteria: the ticket has no acceptance criteria, so completion cannot be verified',
        'requirements_document: nonEmptySections: section "acceptance_criteria" is empty',
        // The validation agent does not approve what it cannot check.
        'validation_agent: ticket: no acceptance criteria, so the phase cannot be checked against them',
      ]),
    );
    const row = (await api().get(`/api/v1/tickets/${ticket.id}`).expect(200)).body;
    expect(row).toMatchObject({ status: 'blocked', phaseId: Phase.BLOCKED });
    expect(row.blockedReason).toContain(question);
    const gates = (await api().get(`/api/v1/tickets/${ticket.id}/gate-results`).expect(200)).body.items;
    expect(gates.at(-1).validationResult).toMatchObject({ status: 'failed', clarification: question });
  });

  it('PATCH acceptanceCriteria runs REQUIREMENTS again with new tasks, records who answered, and the ticket reaches PHASE_DONE', async () => {
    // A change that cannot answer the question leaves the ticket blocked.
    const priority = await api()
      .patch(`/api/v1/tickets/${ticket.id}`)
      .send({ priority: 'HIGH', labels: ['clarify'] })
      .expect(200);
    expect(priority.body).toMatchObject({ priority: 'HIGH', labels: ['clarify'], resumed: false, status: 'blocked' });
    expect(await state(ticket.id)).toMatchObject({ phase: Phase.BLOCKED, transitionCount: blocked.transitionCount });
    const criteria = ['Tasks can depend on other tasks', 'A task starts only once its dependencies completed'];
    const patched = await api().patch(`/api/v1/tickets/${ticket.id}`).send({ acceptanceCriteria: criteria, updatedBy: 'po@example.com' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: ticket.id, acceptanceCriteria: criteria, resumed: true });

    const done = await poll(
      () => api().get(`/api/v1/tickets/${ticket.id}`),
      (r) => r.body.phaseId === Phase.DONE,
      'the clarified ticket to reach PHASE_DONE',
      150_000,
      500,
    );
    expect(done.body).toMatchObject({ status: 'done', blockedReason: null });

    const history = (await api().get(`/api/v1/tickets/${ticket.id}/phase-history`).expect(200)).body.items as {
      toPhase: string;
      transitionedBy: string;
      transitionReason: string;
    }[];
    expect(history.map((row) => row.toPhase)).toEqual([Phase.REQUIREMENTS, Phase.BLOCKED, ...PHASE_SEQUENCE.slice(1)]);
    expect(history[1]!.transitionReason).toContain('needs clarification');
    expect(history[2]).toMatchObject({ transitionedBy: 'po@example.com', transitionReason: expect.stringContaining('acceptanceCriteria updated') });

    // A new run (entry 3) with its own tasks; the first run's tasks stay as they were.
    const tasks = await stack.db.prisma.task.findMany({ where: { ticketId: ticket.id, phaseId: Phase.REQUIREMENTS } });
    const entries = [...new Set(tasks.map((task) => task.phaseEntry))].sort();
    expect(entries).toEqual([1, 3]);
    expect(tasks.filter((task) => task.phaseEntry === 3).every((task) => task.status === 'completed')).toBe(true);
    const gates = (await api().get(`/api/v1/tickets/${ticket.id}/gate-results`).expect(200)).body.items as {
      phaseId: string;
      phaseEntry: number;
      gateStatus: string;
    }[];
    expect(gates.filter((gate) => gate.phaseId === Phase.REQUIREMENTS).map((gate) => [gate.phaseEntry, gate.gateStatus])).toEqual([
      [1, 'failed'],
      [1, 'failed'],
      [3, 'passed'],
    ]);
  }, 180_000);

  it('PATCH of a done ticket answers 409 TICKET_NOT_ACTIVE and changes nothing', async () => {
    expectError(await api().patch(`/api/v1/tickets/${ticket.id}`).send({ title: 'Too late' }), 409, 'TICKET_NOT_ACTIVE');
    expect((await api().get(`/api/v1/tickets/${ticket.id}`).expect(200)).body.title).toBe(RICH_TICKET.title);
  });
});

describe('other ways out of a block for clarification, and other blocks (issue 11)', () => {
  it('an artifact that makes the run pass resumes the same run (no validation agent here)', async () => {
    const noValidation = stackApp(stack, { validationPhases: [] });
    const created = await request(noValidation)
      .post('/api/v1/tickets')
      .send({ ...RICH_TICKET, acceptanceCriteria: undefined, externalId: `CLAR-${randomUUID().slice(0, 8)}`, policy: 'auto' })
      .expect(201);
    const id = created.body.id as string;
    const blocked = await waitForPhase(id, Phase.BLOCKED, 'the ticket to be blocked for clarification');
    expect(blocked.blocked).toMatchObject({ cause: 'needs_clarification', entry: 1 });
    const document = {
      artifactType: 'requirements_document',
      artifactPath: 'reviews/requirements.md',
      content: { text: `## Scope\n\n${'The dependencies between tasks. '.repeat(20)}\n\n## Acceptance Criteria\n\n- Tasks can depend on tasks\n` },
      collectedBy: 'reviewer',
    };
    // The document alone does not answer the question: the ticket itself still has no criteria.
    await api().post(`/api/v1/tickets/${id}/artifacts`).send(document).expect(201);
    const still = await poll(
      () => state(id),
      (s) => s.blocked?.reason.startsWith('gate of PHASE_REQUIREMENTS still fails') === true,
      'the re-validation to fail',
      30_000,
      200,
    );
    expect(still.blocked).toMatchObject({ cause: 'needs_clarification', question: clarificationQuestion(created.body.externalId) });
    expect(still.blocked!.reason).toContain('ticket: acceptanceCriteria');
    // Criteria stored without the API (so no ticketUpdated signal), then the document again: the gate passes.
    await stack.db.prisma.ticket.update({ where: { id }, data: { acceptanceCriteria: ['Tasks can depend on tasks'] } });
    await api().post(`/api/v1/tickets/${id}/artifacts`).send(document).expect(201);
    await poll(
      () => state(id),
      (s) => s.phase !== Phase.BLOCKED && s.phase !== Phase.REQUIREMENTS,
      'the ticket to move on',
      60_000,
      200,
    );
    const history = await stack.db.prisma.phaseHistory.findMany({ where: { ticketId: id }, orderBy: { sequence: 'asc' } });
    expect(history.slice(1, 3).map((row) => [row.toPhase, row.transitionedBy])).toEqual([
      [Phase.BLOCKED, 'orchestrator'],
      [Phase.REQUIREMENTS, 'orchestrator'],
    ]);
    expect(history[2]!.transitionReason).toContain('passed after new artifacts');
    // The same run resumed: no second set of REQUIREMENTS tasks.
    const entries = await stack.db.prisma.task.findMany({
      where: { ticketId: id, phaseId: Phase.REQUIREMENTS },
      distinct: ['phaseEntry'],
      select: { phaseEntry: true },
    });
    expect(entries).toEqual([{ phaseEntry: 1 }]);
    await api().post(`/api/v1/tickets/${id}/cancel`).send({ reason: 'test done' }).expect(202);
  }, 150_000);

  it('PATCH of a ticket blocked by its gate (criteria given, document too short) only updates the row', async () => {
    const ticket = await createTicket({ description: 'Typo in header', acceptanceCriteria: ['Header reads correctly'] });
    const blocked = await waitForPhase(ticket.id, Phase.BLOCKED, 'the ticket to be blocked by its gate');
    expect(blocked.blocked).toMatchObject({ cause: 'gate' });
    expect(blocked.blocked!.question).toBeUndefined();
    const patched = await api().patch(`/api/v1/tickets/${ticket.id}`).send({ description: 'The header says Dashbaord.' }).expect(200);
    expect(patched.body).toMatchObject({ description: 'The header says Dashbaord.', resumed: false, status: 'blocked' });
    expect(await state(ticket.id)).toMatchObject({ phase: Phase.BLOCKED, transitionCount: blocked.transitionCount, blocked: { cause: 'gate' } });
    await api().post(`/api/v1/tickets/${ticket.id}/cancel`).send({ reason: 'test done' }).expect(202);
  }, 150_000);
});

describe('PATCH /api/v1/tickets/:id', () => {
  it('only updates the row of a ticket not blocked for clarification', async () => {
    const ticket = await createTicket({ policy: 'manual', acceptanceCriteria: ['It works'] });
    const patched = await api()
      .patch(`/api/v1/tickets/${ticket.id}`)
      .send({ title: 'Renamed', description: 'Longer description', priority: 'HIGH', labels: ['x'], acceptanceCriteria: ['It still works'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      title: 'Renamed',
      description: 'Longer description',
      priority: 'HIGH',
      labels: ['x'],
      acceptanceCriteria: ['It still works'],
      resumed: false,
      phaseId: Phase.BACKLOG,
    });
    // The signal itself is ignored by a ticket not blocked for clarification.
    await stack.env.client.workflow.getHandle(`ticket-${ticket.id}`).signal(ticketUpdatedSignal, { fields: ['title'], updatedBy: 'x', requestId: 'r' });
    expect(await state(ticket.id)).toMatchObject({ phase: Phase.BACKLOG, transitionCount: 0, rejectedCount: 0 });
  });

  it('refuses bad bodies (400), unknown tickets (404) and cancelled tickets (409), writing nothing', async () => {
    const ticket = await createTicket({ policy: 'manual', acceptanceCriteria: ['It works'] });
    const url = `/api/v1/tickets/${ticket.id}`;
    for (const bad of [{}, { updatedBy: 'alice' }, { acceptanceCriteria: 'x' }, { acceptanceCriteria: [''] }, { priority: 'SOON' }, { policy: 'manual' }]) {
      expectError(await api().patch(url).send(bad), 400, 'VALIDATION_FAILED');
    }
    expectError(await api().patch(`/api/v1/tickets/${randomUUID()}`).send({ title: 'x' }), 404, 'TICKET_NOT_FOUND');
    expectError(await api().patch('/api/v1/tickets/not-a-ticket').send({ title: 'x' }), 404, 'TICKET_NOT_FOUND');
    await api().post(`${url}/cancel`).send({ reason: 'not wanted' }).expect(202);
    await poll(
      () => api().get(url),
      (r) => r.body.status === 'cancelled',
      'the ticket to be cancelled',
      20_000,
      200,
    );
    expectError(
      await api()
        .patch(url)
        .send({ acceptanceCriteria: ['Too late'] }),
      409,
      'TICKET_NOT_ACTIVE',
    );
    expect((await api().get(url).expect(200)).body).toMatchObject({ title: RICH_TICKET.title, acceptanceCriteria: ['It works'] });
  });
});

describe("the main job's reviewer (issue 11)", () => {
  it('reads the acceptance criteria of a review file: its list items', () => {
    expect(criteriaOf('Answered by the owner:\n\n- First criterion \n* Second one\n\nNot a criterion\n  - Indented one\n')).toEqual([
      'First criterion',
      'Second one',
      'Indented one',
    ]);
    expect(criteriaOf('No list at all')).toEqual([]);
  });

  it('takes the short tickets to PHASE_DONE: those without criteria blocked for clarification and answered from the review files', async () => {
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
      const root = path.resolve(__dirname, '..', '..', 'examples');
      const entries = await readTicketFile(path.join(root, 'tickets', 'short-tickets.json'));
      const reports = await driveTickets(entries, { apiUrl, reviewsDir: path.join(root, 'reviews'), timeoutMs: 240_000 });
      expect(reports.map((report) => [report.externalId, report.finalPhase, report.error])).toEqual(
        entries.map((entry) => [entry.externalId, Phase.DONE, undefined]),
      );
      for (const [index, entry] of entries.entries()) {
        const [first] = reports[index]!.interventions;
        if (entry.acceptanceCriteria?.length) {
          expect(first?.blockedReason ?? '').not.toContain('needs clarification');
          continue;
        }
        expect(first).toEqual({
          blockedReason: expect.stringContaining(`needs clarification: ${clarificationQuestion(entry.externalId)}`),
          action: `answered with 2 acceptance criteria (${entry.externalId}.acceptance_criteria.md)`,
        });
        const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { externalId: entry.externalId } });
        expect(row.acceptanceCriteria).toHaveLength(2);
        const answered = await stack.db.prisma.phaseHistory.findFirstOrThrow({ where: { ticketId: row.id, transitionedBy: 'reviewer (main job)' } });
        expect(answered).toMatchObject({ fromPhase: Phase.BLOCKED, toPhase: Phase.REQUIREMENTS });
      }
      expect(entries.filter((entry) => !entry.acceptanceCriteria?.length)).toHaveLength(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 300_000);
});
