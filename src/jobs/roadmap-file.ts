/**
 * The main job's input: a JSON file of tickets, `{ "tickets": [NewTicket, ...] }`, as in
 * ../shared/data/roadmap-tickets.json (seed 004's milestones). Each ticket is validated with the
 * same schema as POST /tickets.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { createTicketBody } from '../ticket/schemas';

const ticketFile = z.object({ tickets: z.array(createTicketBody.extend({ externalId: z.string().min(1) })).min(1) });

/** One ticket of the file. */
export type TicketFileEntry = z.infer<typeof ticketFile>['tickets'][number];

/**
 * Reads and validates a ticket file.
 *
 * @throws Error naming the file and every invalid field (zod's `prettifyError`: one `✖ message → at path` per issue).
 */
export async function readTicketFile(file: string): Promise<TicketFileEntry[]> {
  const parsed = ticketFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} is not a valid ticket file:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data.tickets;
}
