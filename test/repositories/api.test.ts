/**
 * The repository endpoints and tickets naming a repository (issue 9), mounted directly (supertest)
 * on a real Temporal dev server, worker and PostgreSQL: repository CRUD and every error path,
 * `POST /tickets` with `repository` and `sourceUrl` (422 for an unknown repository, nothing written
 * or started), the configured default repository, the ticket's repository fields in `GET`, and
 * tickets imported from a `gh issue list` export and from a ticket file with extra keys.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { readTicketFile } from '../../src/jobs/roadmap-file';
import { createLogger } from '../../src/platform/logger';
import { STATE_MACHINE_ONLY, stackApp, testSettings, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
/** The app on the stack; its tickets stay quiet in BACKLOG (manual policy, no gated phase). */
let app: Express;
beforeAll(() => {
  app = stackApp(stack, STATE_MACHINE_ONLY);
});
const api = () => request(app);

const test = { command: 'npm', args: ['test', '--', '--json', '--outputFile=reports/jest.json'], report: { format: 'jest-json', path: 'reports/jest.json' } };
const spec = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: `/srv/git/${name}.git`, test, testPaths: ['test/**'], ...extra });

function expectError(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

async function register(name: string, extra: Record<string, unknown> = {}) {
  const response = await api().post('/api/v1/repositories').send(spec(name, extra));
  expect(response.status).toBe(201);
  return response.body;
}

describe('POST /api/v1/repositories', () => {
  it('registers a repository with its defaults and answers 201', async () => {
    const body = await register('created');
    expect(body).toEqual({
      ...spec('created'),
      test: { ...test, timeoutMs: 600_000 },
      defaultBranch: 'main',
      setup: null,
      coverage: null,
      integration: 'merge',
      keepBranches: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await stack.db.prisma.repository.count({ where: { name: 'created' } })).toBe(1);
  });

  it('refuses a taken name with 409 REPOSITORY_EXISTS and leaves the row as it was', async () => {
    await register('taken');
    const response = await api()
      .post('/api/v1/repositories')
      .send(spec('taken', { url: '/other.git' }));
    expectError(response, 409, 'REPOSITORY_EXISTS');
    expect(response.body.error.details).toEqual({ repository: 'taken' });
    expect((await stack.db.prisma.repository.findUniqueOrThrow({ where: { name: 'taken' } })).url).toBe('/srv/git/taken.git');
  });

  it.each([
    ['no body', {}],
    ['a bad name', spec('Bad Name')],
    ['no test command', { ...spec('no-test'), test: undefined }],
    ['a report path outside the tree', spec('outside', { test: { ...test, report: { format: 'jest-json', path: '../r.json' } } })],
    ['a bad branch', spec('bad-branch', { defaultBranch: 'a b' })],
    ['an unknown coverage format', spec('bad-coverage', { coverage: { format: 'lcov', path: 'lcov.info' } })],
    ['an unknown field', spec('unknown', { colour: 'red' })],
  ])('refuses %s with 400 VALIDATION_FAILED, writing nothing', async (_name, body) => {
    const before = await stack.db.prisma.repository.count();
    const response = await api().post('/api/v1/repositories').send(body);
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.details.issues.length).toBeGreaterThan(0);
    expect(await stack.db.prisma.repository.count()).toBe(before);
  });
});

describe('GET /api/v1/repositories', () => {
  it('lists every repository by name, and gets one', async () => {
    await register('list-b');
    await register('list-a', { integration: 'rebase' });
    const names = (await api().get('/api/v1/repositories').expect(200)).body.items.map((item: { name: string }) => item.name);
    expect(names.indexOf('list-a')).toBeLessThan(names.indexOf('list-b'));
    expect((await api().get('/api/v1/repositories/list-a').expect(200)).body).toMatchObject({ name: 'list-a', integration: 'rebase' });
  });

  it('answers 404 REPOSITORY_NOT_FOUND for an unknown name', async () => {
    const response = await api().get('/api/v1/repositories/nope');
    expectError(response, 404, 'REPOSITORY_NOT_FOUND');
    expect(response.body.error.details).toEqual({ repository: 'nope' });
  });
});

describe('PATCH /api/v1/repositories/:name', () => {
  it('replaces the fields given, each whole, and keeps the others', async () => {
    await register('patched', { setup: { command: 'npm', args: ['ci'], inputs: ['package-lock.json'], outputs: ['node_modules'] } });
    const coverage = { format: 'cobertura-xml', path: 'coverage/cobertura.xml' };
    const response = await api()
      .patch('/api/v1/repositories/patched')
      .send({ coverage, setup: null, test: { command: 'make', report: { format: 'junit-xml', path: 'junit.xml' } }, keepBranches: false });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: 'patched',
      url: '/srv/git/patched.git',
      coverage,
      setup: null,
      test: { command: 'make', args: [], timeoutMs: 600_000, report: { format: 'junit-xml', path: 'junit.xml' } },
      keepBranches: false,
    });
    expect((await api().get('/api/v1/repositories/patched')).body).toEqual(response.body);
  });

  it('answers 404 for an unknown name', async () => {
    expectError(await api().patch('/api/v1/repositories/nope').send({ keepBranches: false }), 404, 'REPOSITORY_NOT_FOUND');
  });

  it.each([
    ['a rename', { name: 'renamed' }],
    ['no field', {}],
    ['a bad value', { integration: 'squash' }],
    ['an unknown field', { colour: 'red' }],
  ])('refuses %s with 400, changing nothing', async (label, body) => {
    const name = `patch-${label.replaceAll(' ', '-')}`;
    await register(name);
    const before = await stack.db.prisma.repository.findUniqueOrThrow({ where: { name } });
    expectError(await api().patch(`/api/v1/repositories/${name}`).send(body), 400, 'VALIDATION_FAILED');
    expect(await stack.db.prisma.repository.findUniqueOrThrow({ where: { name } })).toEqual(before);
  });
});

describe('tickets naming a repository', () => {
  it('stores the repository and the source URL; GET and the list show them with the branch and commits', async () => {
    await register('worked');
    const externalId = `REPO-${randomUUID()}`;
    const sourceUrl = 'https://github.com/example-org/example-app/issues/3';
    const created = await api().post('/api/v1/tickets').send({ title: 'In a repository', externalId, policy: 'manual', repository: 'worked', sourceUrl });
    expect(created.status).toBe(201);
    const fields = { repositoryName: 'worked', sourceUrl, branch: null, baseCommit: null, headCommit: null, mergeCommit: null };
    expect(created.body).toMatchObject(fields);
    expect((await api().get(`/api/v1/tickets/${created.body.id}`).expect(200)).body).toMatchObject(fields);
    const listed = (await api().get('/api/v1/tickets?limit=100').expect(200)).body.items.find((item: { id: string }) => item.id === created.body.id);
    expect(listed).toMatchObject(fields);
  });

  it('answers 422 UNKNOWN_REPOSITORY for an unregistered repository: no row, no workflow', async () => {
    const taskQueue = `unused-${randomUUID()}`;
    const isolated = createApp({
      prisma: stack.db.prisma,
      temporal: stack.env.client,
      taskQueue,
      logger: createLogger('silent'),
      orchestrator: stack.orchestrator,
      settings: testSettings(stack.orchestrator, STATE_MACHINE_ONLY),
    });
    const externalId = `UNKNOWN-${randomUUID()}`;
    const response = await request(isolated).post('/api/v1/tickets').send({ title: 'Nowhere', externalId, repository: 'missing' });
    expectError(response, 422, 'UNKNOWN_REPOSITORY');
    expect(response.body.error.details).toEqual({ repository: 'missing' });
    expect(await stack.db.prisma.ticket.count({ where: { externalId } })).toBe(0);
    const started = [];
    for await (const workflow of stack.env.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) started.push(workflow);
    expect(started).toEqual([]);
  });

  it.each([
    ['a repository that is not a name', { repository: 'Not A Name' }],
    ['a source URL that is not a URL', { sourceUrl: 'issue 3' }],
    ['a javascript: source URL', { sourceUrl: 'javascript:alert(1)' }],
  ])('refuses %s with 400', async (_name, extra) => {
    expectError(
      await api()
        .post('/api/v1/tickets')
        .send({ title: 't', ...extra }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('gives a ticket that names none the configured default repository, and one that names another that one', async () => {
    await register('default-repo');
    await register('other-repo');
    const withDefault = stackApp({ ...stack, orchestrator: { ...stack.orchestrator, defaultRepository: 'default-repo' } }, STATE_MACHINE_ONLY);
    const plain = await request(withDefault).post('/api/v1/tickets').send({ title: 'Default', policy: 'manual' }).expect(201);
    expect(plain.body.repositoryName).toBe('default-repo');
    const named = await request(withDefault).post('/api/v1/tickets').send({ title: 'Named', policy: 'manual', repository: 'other-repo' }).expect(201);
    expect(named.body.repositoryName).toBe('other-repo');
    const withoutDefault = stackApp({ ...stack, orchestrator: { ...stack.orchestrator, defaultRepository: undefined } }, STATE_MACHINE_ONLY);
    const none = await request(withoutDefault).post('/api/v1/tickets').send({ title: 'No default', policy: 'manual' }).expect(201);
    expect(none.body.repositoryName).toBeNull();
  });
});

describe('importing tickets as people have them', () => {
  /** Posts the entries as the main job does (its driver spreads each entry into POST /tickets), manual policy. */
  async function importEntries(file: string) {
    const tickets = [];
    for (const entry of await readTicketFile(file)) {
      const response = await api()
        .post('/api/v1/tickets')
        .send({ ...entry, policy: 'manual' });
      expect(response.status).toBe(201);
      tickets.push(response.body);
    }
    return tickets;
  }

  it('imports the gh issue list export: GH-<number>, labels by name, criteria from the body, the issue URL as sourceUrl', async () => {
    const tickets = await importEntries(path.resolve(__dirname, '../../examples/tickets/gh-issues.json'));
    expect(tickets.map(({ externalId, labels, acceptanceCriteria, sourceUrl }) => ({ externalId, labels, acceptanceCriteria, sourceUrl }))).toEqual([
      {
        externalId: 'GH-12',
        labels: ['enhancement', 'dashboard'],
        acceptanceCriteria: ['Overdue tickets are counted separately', 'The count is shown next to the totals'],
        sourceUrl: 'https://github.com/example-org/example-app/issues/12',
      },
      {
        externalId: 'GH-15',
        labels: ['bug'],
        acceptanceCriteria: ['Tickets without a due date sort last', 'Sorting by due date stays stable for equal dates'],
        sourceUrl: 'https://github.com/example-org/example-app/issues/15',
      },
      { externalId: 'GH-17', labels: [], acceptanceCriteria: [], sourceUrl: 'https://github.com/example-org/example-app/issues/17' },
    ]);
    const stored = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { externalId: 'GH-12' } });
    expect(stored.description).toMatch(/^The dashboard shows totals only\./);
    expect(stored.sourceUrl).toBe('https://github.com/example-org/example-app/issues/12');
  });

  it('imports a ticket file whose tickets have extra keys and a url: the url is stored as sourceUrl, with the named repository', async () => {
    await register('imported');
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ticket-file-')), 'export.json');
    const externalId = `EXPORT-${randomUUID()}`;
    const url = 'https://tracker.example.com/browse/EXPORT-1';
    await writeFile(file, JSON.stringify({ tickets: [{ externalId, title: 'Exported', url, state: 'OPEN', assignees: ['ana'], repository: 'imported' }] }));
    const [ticket] = await importEntries(file);
    expect(ticket).toMatchObject({ externalId, title: 'Exported', sourceUrl: url, repositoryName: 'imported' });
    expect(await stack.db.prisma.ticket.findUniqueOrThrow({ where: { externalId } })).toMatchObject({ sourceUrl: url, repositoryName: 'imported' });
  });
});
