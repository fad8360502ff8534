/**
 * The main job's input: a JSON file of tickets, in one of two formats detected per file
 * (issue 9 "Importing tickets as people have them"):
 * - the ticket file, `{ "tickets": [NewTicket, ...] }`, as in ../shared/data/roadmap-tickets.json
 *   (seed 004's milestones). Keys a ticket has beyond POST /tickets' fields are ignored rather than
 *   refused (an export's extra fields); its `url`, if any, is stored as the ticket's `sourceUrl`
 *   (an explicit `sourceUrl` wins). A ticket may name its `repository`.
 * - a top-level array: the GitHub issues `gh issue list --json number,title,body,labels,url` prints
 *   (src/jobs/github-issues.ts).
 * Each entry is then validated with the schema of POST /tickets (externalId required).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { createTicketBody, sourceUrl } from '../ticket/schemas';
import { githubIssueSchema, ticketOfIssue } from './github-issues';

/** One ticket as the main job posts it: POST /tickets' fields with a required externalId. */
const ticketEntry = createTicketBody.extend({ externalId: z.string().min(1) });

/** A ticket of the ticket file: the entry's fields, unknown keys dropped, plus an optional `url`. */
const fileTicket = z.object({ ...ticketEntry.shape, url: sourceUrl.optional() }).transform(({ url, ...entry }) => ({
  ...entry,
  ...(entry.sourceUrl === undefined && url !== undefined ? { sourceUrl: url } : {}),
}));

const ticketFile = z.object({ tickets: z.array(fileTicket).min(1) });
const githubIssues = z.array(githubIssueSchema.transform((issue): z.input<typeof ticketEntry> => ticketOfIssue(issue)).pipe(ticketEntry)).min(1);

/** One ticket of the file, as POST /tickets takes it. */
export type TicketFileEntry = z.infer<typeof ticketEntry>;

/**
 * Reads and validates a ticket file in either format (a top-level array is the `gh` format).
 *
 * @throws Error naming the file, its format and every invalid field (zod's `prettifyError`: one
 *   `✖ message → at path` per issue); SyntaxError when it is not JSON
 */
export async function readTicketFile(file: string): Promise<TicketFileEntry[]> {
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
  const [format, schema] = Array.isArray(raw) ? (['GitHub issue list', githubIssues] as const) : (['ticket file', ticketFile] as const);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file} is not a valid ${format}:\n${z.prettifyError(parsed.error)}`);
  }
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.tickets;
}
