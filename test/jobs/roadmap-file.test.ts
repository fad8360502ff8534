/**
 * The main job's ticket files (issue 9 "Importing tickets as people have them"): the format is
 * detected per file; a ticket file's extra keys are dropped rather than refused and its `url`
 * becomes `sourceUrl`; a `gh issue list --json number,title,body,labels,url` export becomes
 * GH-<number> tickets with acceptance criteria from the issue body.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acceptanceCriteriaOf } from '../../src/jobs/github-issues';
import { readTicketFile } from '../../src/jobs/roadmap-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ticket-files-'));
});

async function fileWith(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe('readTicketFile: the ticket file', () => {
  it('reads the repository terse ticket file as before', async () => {
    const [ticket] = await readTicketFile(path.resolve(__dirname, '../../examples/tickets/reality-tickets.json'));
    expect(ticket).toEqual({
      externalId: 'REALITY-1',
      title: 'Fix typo in dashboard header',
      description: 'Header says Dashbaord.',
      acceptanceCriteria: ['Header reads Dashboard'],
      priority: 'LOW',
      labels: ['reality', 'terse'],
    });
  });

  it('drops extra keys instead of refusing them and stores url as sourceUrl; an explicit sourceUrl wins', async () => {
    const file = await fileWith('export.json', {
      exportedAt: '2026-11-29',
      tickets: [
        { externalId: 'EX-1', title: 'One', url: 'https://tracker.example.com/EX-1', state: 'OPEN', assignees: [{ login: 'ana' }], repository: 'app' },
        { externalId: 'EX-2', title: 'Two', url: 'https://tracker.example.com/EX-2', sourceUrl: 'https://github.com/o/r/issues/2' },
        { externalId: 'EX-3', title: 'Three' },
      ],
    });
    expect(await readTicketFile(file)).toEqual([
      { externalId: 'EX-1', title: 'One', sourceUrl: 'https://tracker.example.com/EX-1', repository: 'app' },
      { externalId: 'EX-2', title: 'Two', sourceUrl: 'https://github.com/o/r/issues/2' },
      { externalId: 'EX-3', title: 'Three' },
    ]);
  });

  it('still refuses what POST /tickets would refuse, naming the file and the fields', async () => {
    const file = await fileWith('bad.json', {
      tickets: [
        { externalId: 'EX-1', title: 'One', url: 'not a url' },
        { title: 'No id', priority: 'URGENT' },
      ],
    });
    const refusal = readTicketFile(file);
    await expect(refusal).rejects.toThrow(`${file} is not a valid ticket file:`);
    await expect(refusal).rejects.toThrow(/→ at tickets\[0\]\.url/);
    await expect(refusal).rejects.toThrow(/→ at tickets\[1\]\.externalId/);
    await expect(refusal).rejects.toThrow(/→ at tickets\[1\]\.priority/);
  });
});

describe('readTicketFile: a gh issue list export', () => {
  it('maps each issue to a GH-<number> ticket (labels by name, body as description, url as sourceUrl), ignoring the other fields', async () => {
    const file = await fileWith('issues.json', [
      {
        number: 7,
        title: 'Crash on empty list',
        body: 'Steps:\n\n- [ ] Empty list renders\n- [X] No exception is logged',
        labels: [{ id: 'LA_1', name: 'bug', color: 'd73a4a' }],
        url: 'https://github.com/o/r/issues/7',
        state: 'OPEN',
      },
    ]);
    expect(await readTicketFile(file)).toEqual([
      {
        externalId: 'GH-7',
        title: 'Crash on empty list',
        description: 'Steps:\n\n- [ ] Empty list renders\n- [X] No exception is logged',
        labels: ['bug'],
        acceptanceCriteria: ['Empty list renders', 'No exception is logged'],
        sourceUrl: 'https://github.com/o/r/issues/7',
      },
    ]);
  });

  it('refuses an array that is not a gh export, naming the format and the fields', async () => {
    const file = await fileWith('not-gh.json', [{ externalId: 'EX-1', title: 'One' }]);
    const refusal = readTicketFile(file);
    await expect(refusal).rejects.toThrow(`${file} is not a valid GitHub issue list:`);
    await expect(refusal).rejects.toThrow(/→ at \[0\]\.number/);
    await expect(refusal).rejects.toThrow(/→ at \[0\]\.url/);
  });

  it('refuses an issue whose ticket POST /tickets would refuse (an empty title)', async () => {
    const file = await fileWith('empty-title.json', [{ number: 1, title: ' ', body: '', labels: [], url: 'https://github.com/o/r/issues/1' }]);
    await expect(readTicketFile(file)).rejects.toThrow(/→ at \[0\]\.title/);
  });
});

describe('acceptanceCriteriaOf', () => {
  it('takes the list items of an "Acceptance criteria" section of any heading level, up to the next heading of its level', () => {
    const body = [
      'Intro',
      '- [ ] not a criterion: the section wins over the checklist',
      '### ACCEPTANCE CRITERIA:',
      '- first',
      '* second',
      '1. third',
      '2) fourth',
      '#### Details (a lower heading stays in the section)',
      '- [x] fifth',
      '### Notes',
      '- not a criterion',
    ].join('\n');
    expect(acceptanceCriteriaOf(body)).toEqual(['first', 'second', 'third', 'fourth', 'fifth']);
  });

  it('falls back to every checklist item when there is no such section, skipping code blocks', () => {
    const body = '## Todo\r\n- [ ] one\r\n- plain item\r\n  - [x] nested two\r\n```md\n- [ ] in a code block\n```\n+ [ ] three';
    expect(acceptanceCriteriaOf(body)).toEqual(['one', 'nested two', 'three']);
  });

  it('gives none for a body without criteria', () => {
    expect(acceptanceCriteriaOf('')).toEqual([]);
    expect(acceptanceCriteriaOf('Just prose.\n\n- a plain list\n- of notes')).toEqual([]);
  });
});
