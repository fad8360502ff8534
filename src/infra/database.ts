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

/**
 * Creates database `name` on the server of `url` unless it exists.
 *
 * @param template optional template database to copy (used by tests for a migrated schema)
 */
export async function ensureDatabase(url: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
      await client.query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

/** Drops database `name` on the server of `url`, disconnecting its sessions. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
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

