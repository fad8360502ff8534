/**
 * PostgreSQL database utilities shared by the stack and the tests: URLs, create/drop, and applying
 * the committed migrations with `prisma migrate deploy`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/** URL of `database` on the server of `url` (same credentials, host and port). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Runs `work` on a connection to the `postgres` maintenance database of the server of `url`,
 * closing it afterwards. Connecting fails after 5 s.
 */
export async function withServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates database `name` on the server of `url` unless it exists.
 *
 * @param template optional template database to copy (used by tests for a migrated schema)
 */
export async function ensureDatabase(url: string, name: string, template?: string): Promise<void> {
  await withServer(url, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`);
  });
}

/** Drops database `name` on the server of `url`, disconnecting its sessions. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  await withServer(url, (client) => client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`));
}

/**
 * Applies the committed migrations (`prisma/migrations`) to the database at `url` with
 * `prisma migrate deploy` (Prisma's JS schema engine, configured in prisma.config.ts).
 *
 * @throws Error with Prisma's output when a migration fails.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const prismaCli = require.resolve('prisma/build/index.js', { paths: [root] });
  await promisify(execFile)(process.execPath, [prismaCli, 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
  });
}
