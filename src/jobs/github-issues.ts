/**
 * Tickets from GitHub issues as `gh issue list --json number,title,body,labels,url` prints them
 * (issue 9 "Importing tickets as people have them"): an array of `{ number, title, body, labels:
 * [{ name, ... }], url }`. Each issue becomes a ticket file entry: externalId `GH-<number>`,
 * labels by name, description = body, acceptance criteria from the body (see
 * {@link acceptanceCriteriaOf}), sourceUrl = url. Other fields `gh` prints are ignored.
 */
import { z } from 'zod';

/** One issue of `gh issue list --json number,title,body,labels,url` (extra fields allowed and ignored). */
export const githubIssueSchema = z.looseObject({
  number: z.number().int().positive(),
  title: z.string(),
  /** `gh` prints `""` for an issue without a body. */
  body: z.string().nullish(),
  labels: z.array(z.looseObject({ name: z.string() })).default([]),
  url: z.string(),
  /** Not printed by `gh`: a repository name added by hand. */
  repository: z.string().optional(),
});

/** A GitHub issue as {@link githubIssueSchema} reads it. */
export type GithubIssue = z.infer<typeof githubIssueSchema>;

/** The ticket fields of an issue (validated afterwards like any ticket file entry). */
export function ticketOfIssue(issue: GithubIssue) {
  const body = issue.body ?? '';
  return {
    externalId: `GH-${issue.number}`,
    title: issue.title,
    description: body,
    labels: issue.labels.map(({ name }) => name),
    acceptanceCriteria: acceptanceCriteriaOf(body),
    sourceUrl: issue.url,
    ...(issue.repository === undefined ? {} : { repository: issue.repository }),
  };
}

/** A markdown ATX heading: its level (1–6) and text, trailing `#`s and a colon dropped. */
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
/** A list item (`-`, `*`, `+`, `1.` or `1)`), with an optional task checkbox; group 2 is the checkbox, group 3 the text. */
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+(\[[ xX]\]\s+)?(.*\S)\s*$/;
/** A fenced code block's opening or closing line. */
const FENCE = /^\s*(```|~~~)/;

/**
 * The acceptance criteria of an issue body: the list items of its "Acceptance criteria" section
 * (a heading of any level, case-insensitive, up to the next heading of the same or a higher level),
 * else every task-list item of the body (`- [ ] x`, `- [x] x`), else none. Lines inside fenced code
 * blocks are skipped; checkboxes are dropped from the text.
 */
export function acceptanceCriteriaOf(body: string): string[] {
  const section: string[] = [];
  const checklist: string[] = [];
  let sectionLevel: number | undefined;
  let inSection = false;
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence || FENCE.test(line)) continue;
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      if (inSection && level <= sectionLevel!) inSection = false;
      if (sectionLevel === undefined && /^acceptance criteria:?$/i.test(heading[2]!)) [sectionLevel, inSection] = [level, true];
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (!item) continue;
    if (inSection) section.push(item[2]!);
    if (item[1]) checklist.push(item[2]!);
  }
  return section.length > 0 ? section : checklist;
}
