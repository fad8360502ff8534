/**
 * The repositories store on a real PostgreSQL database: rows round-trip to the spec (JSON columns,
 * SQL NULL for none), and start-up's sync of the configuration file's repositories is an
 * idempotent upsert in which the file wins for the fields it gave.
 */
import { parseOrchestratorConfig } from '../../src/agents/config';
import { RepositoryStore, syncConfiguredRepositories, toRepositorySpec } from '../../src/repositories/store';
import { repositorySpecSchema } from '../../src/repositories/schemas';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const test = { command: 'npm', args: ['test'], report: { format: 'jest-json', path: 'reports/jest.json' } };
const entry = { name: 'app', url: '${DATA_DIR}/remotes/app.git', test, testPaths: ['test/**'], seedFrom: 'project' };
const configured = (repositories: Record<string, unknown>[]) =>
  parseOrchestratorConfig({ backends: [{ name: 'a', type: 'command', capabilities: ['x'], command: 'node' }], repositories }, '/cfg', { dataDir: '/data' })
    .repositories;

describe('RepositoryStore', () => {
  it('stores a spec and reads it back, none as SQL NULL', async () => {
    const spec = repositorySpecSchema.parse({ name: 'round-trip', url: '/srv/app.git', test, testPaths: ['**/*.test.js'] });
    const stored = await new RepositoryStore(db.prisma).create(spec);
    expect(stored).toEqual({ ...spec, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
    const [row] = await db.prisma.$queryRaw<{ setup: unknown; coverage: unknown }[]>`SELECT setup, coverage FROM repositories WHERE name = 'round-trip'`;
    expect(row).toEqual({ setup: null, coverage: null });
    expect(toRepositorySpec(await db.prisma.repository.findUniqueOrThrow({ where: { name: 'round-trip' } }))).toEqual(spec);
  });
});

describe('syncConfiguredRepositories', () => {
  it('inserts the file repositories with their resolved URL, and a second sync changes nothing', async () => {
    const repositories = configured([entry]);
    expect(await syncConfiguredRepositories(db.prisma, repositories)).toEqual(['app']);
    const first = await new RepositoryStore(db.prisma).get('app');
    expect(first).toMatchObject({ url: '/data/remotes/app.git', defaultBranch: 'main', test: { ...test, timeoutMs: 600_000 }, setup: null });
    expect(first).not.toHaveProperty('seedFrom');

    await syncConfiguredRepositories(db.prisma, repositories);
    const { updatedAt: _first, ...firstSpec } = first;
    const { updatedAt: _second, ...secondSpec } = await new RepositoryStore(db.prisma).get('app');
    expect(secondSpec).toEqual(firstSpec);
    expect(await db.prisma.repository.count({ where: { name: 'app' } })).toBe(1);
  });

  it('overwrites the fields the file gives and keeps the ones the API changed that it does not give', async () => {
    const store = new RepositoryStore(db.prisma);
    await syncConfiguredRepositories(db.prisma, configured([{ ...entry, name: 'mixed' }]));
    await store.update('mixed', { url: '/elsewhere.git', defaultBranch: 'develop', keepBranches: false });

    await syncConfiguredRepositories(db.prisma, configured([{ ...entry, name: 'mixed', keepBranches: true }]));
    expect(await store.get('mixed')).toMatchObject({ url: '/data/remotes/app.git', keepBranches: true, defaultBranch: 'develop' });
  });

  it('overwrites every field of a spec that does not say which it gave', async () => {
    const store = new RepositoryStore(db.prisma);
    const spec = repositorySpecSchema.parse({ name: 'whole', url: '/a.git', test, testPaths: [] });
    await store.create({ ...spec, defaultBranch: 'develop', coverage: { format: 'istanbul-summary', path: 'coverage/coverage-summary.json' } });
    await syncConfiguredRepositories(db.prisma, [spec]);
    expect(await store.get('whole')).toMatchObject({ defaultBranch: 'main', coverage: null });
  });
});
