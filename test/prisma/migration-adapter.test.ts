/**
 * The offline migration path: Prisma 6.19's JS schema engine with our migration-aware pg adapter
 * factory (prisma/migration-adapter.ts), against a real PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createMigrationAdapterFactory } from '../../prisma/migration-adapter';
import { dropDatabase, ensureDatabase, migrateDatabase, withDatabase, withServer } from '../../src/platform/database';
import { testEnv } from '../helpers/env';

const root = path.resolve(__dirname, '..', '..');
const migrationNames = readdirSync(path.join(root, 'prisma', 'migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const databases = (serverUrl: string) =>
  withServer(serverUrl, async (client) => (await client.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((row) => row.datname));

describe('migration adapter factory', () => {
  const server = () => testEnv.databaseUrl();
  const name = `migrate_${Date.now()}`;
  const url = () => withDatabase(server(), name);

  beforeAll(() => ensureDatabase(server(), name));
  afterAll(() => dropDatabase(server(), name));

  it('migrates a fresh database from zero with `prisma migrate deploy`, and `migrate status` agrees', async () => {
    await migrateDatabase(url());
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      const applied = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
      );
      expect(applied.rows.map((row) => row.migration_name)).toEqual(migrationNames);
      const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      expect(tables.rows.map((row) => row.tablename)).toEqual(expect.arrayContaining(['tickets', 'phase_history']));
    } finally {
      await client.end();
    }
    const { stdout } = await promisify(execFile)(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'status'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url() },
    });
    expect(stdout).toContain('Database schema is up to date');
  });

  it('reports catalog columns of type name (OID 19) and "char" (OID 18) as text (upstream prisma/orm issue 27403)', async () => {
    const adapter = await createMigrationAdapterFactory(url()).connect();
    try {
      const result = await adapter.queryRaw({
        sql: "SELECT typname, typtype FROM pg_type WHERE typname = 'int4'",
        args: [],
        argTypes: [],
      });
      expect(result.rows).toEqual([['int4', 'b']]);
    } finally {
      await adapter.dispose();
    }
  });

  it('opens the shadow database as a separate database and drops it on dispose', async () => {
    const factory = createMigrationAdapterFactory(url());
    const shadow = await factory.connectToShadowDb();
    const [[current]] = (await shadow.queryRaw({ sql: 'SELECT current_database()', args: [], argTypes: [] })).rows as [[string]];
    expect(current).toMatch(/^prisma_migrate_shadow_db_/);
    expect(current).not.toBe(name);
    // An open session on the shadow database must not stop the drop.
    const lingering = new pg.Client({ connectionString: withDatabase(server(), current) });
    await lingering.connect();
    lingering.on('error', () => undefined);
    await shadow.dispose();
    expect(await databases(server())).not.toContain(current);
    await lingering.end().catch(() => undefined);
  });
});
