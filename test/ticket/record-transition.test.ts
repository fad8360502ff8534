/** The recordTransition activity against a real PostgreSQL: idempotent and never backwards. */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createRecordTransition } from '../../activities/ticket/record-transition';
import { Phase } from '../../src/ticket/phases';
import { ticketWorkflowId } from '../../src/ticket/ticket';
import type { TransitionRecord } from '../../src/ticket/transition';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
let recordTransition: ReturnType<typeof createRecordTransition>;
const activityEnv = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

beforeAll(async () => {
  db = await createTestDatabase();
  recordTransition = createRecordTransition(db.prisma);
});
afterAll(() => db?.drop());

async function newTicket(): Promise<string> {
  const id = randomUUID();
  await db.prisma.ticket.create({ data: { id, title: 'T', workflowId: ticketWorkflowId(id) } });
  return id;
}

const record = (sequence: number, fromPhase: Phase, toPhase: Phase): TransitionRecord => ({
  sequence,
  requestId: `req-${sequence}`,
  fromPhase,
  toPhase,
  reason: 'because',
  transitionedBy: 'tester',
  occurredAt: '2026-01-01T00:00:00.000Z',
});

describe('recordTransition', () => {
  it('writes the history row and the ticket phase fields', async () => {
    const ticketId = await newTicket();
    const result = await activityEnv.run(recordTransition, { ticketId, record: record(1, Phase.BACKLOG, Phase.REQUIREMENTS) });
    expect(result).toEqual({ applied: true });
    const ticket = await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
    expect(ticket).toMatchObject({ phaseId: Phase.REQUIREMENTS, previousPhaseId: Phase.BACKLOG, status: 'in_progress', version: 1 });
    const rows = await db.prisma.phaseHistory.findMany({ where: { ticketId } });
    expect(rows).toEqual([
      expect.objectContaining({
        sequence: 1,
        fromPhase: Phase.BACKLOG,
        toPhase: Phase.REQUIREMENTS,
        transitionReason: 'because',
        transitionedBy: 'tester',
        requestId: 'req-1',
        createdAt: new Date('2026-01-01T00:00:00.000Z'),
      }),
    ]);
  });

  it('is idempotent: running it twice leaves one row and the same ticket', async () => {
    const ticketId = await newTicket();
    const input = { ticketId, record: record(1, Phase.BACKLOG, Phase.REQUIREMENTS) };
    await activityEnv.run(recordTransition, input);
    const again = await activityEnv.run(recordTransition, input);
    expect(again).toEqual({ applied: false });
    expect(await db.prisma.phaseHistory.count({ where: { ticketId } })).toBe(1);
    expect(await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).toMatchObject({ version: 1 });
  });

  it('never moves the ticket backwards when an older write arrives late', async () => {
    const ticketId = await newTicket();
    await activityEnv.run(recordTransition, { ticketId, record: record(2, Phase.REQUIREMENTS, Phase.DESIGN) });
    const late = await activityEnv.run(recordTransition, { ticketId, record: record(1, Phase.BACKLOG, Phase.REQUIREMENTS) });
    expect(late).toEqual({ applied: false });
    expect(await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).toMatchObject({ phaseId: Phase.DESIGN, version: 2 });
    const sequences = (await db.prisma.phaseHistory.findMany({ where: { ticketId }, orderBy: { sequence: 'asc' } })).map((row) => row.sequence);
    expect(sequences).toEqual([1, 2]);
  });

  it('fails non-retryably for a ticket that does not exist', async () => {
    const error = await activityEnv
      .run(recordTransition, { ticketId: randomUUID(), record: record(1, Phase.BACKLOG, Phase.REQUIREMENTS) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TicketNotFound', nonRetryable: true });
  });
});
