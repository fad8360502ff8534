/**
 * The Temporal server for the stack: a server already reachable at `TEMPORAL_ADDRESS` is reused;
 * otherwise the Temporal CLI's dev server (`temporal server start-dev`, SQLite at
 * `DATA_DIR/temporal.db`, Web UI on `TEMPORAL_UI_PORT`) is started. Either way the ticket search
 * attributes are registered on the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from './config';
import type { Logger } from './logger';
import { TICKET_SEARCH_ATTRIBUTES } from './search-attributes';

const STARTUP_TIMEOUT_MS = 60_000;

/** Wait between attempts to connect to a starting dev server, ms. */
const STARTUP_POLL_MS = 250;

/** A reachable Temporal server and how to let go of it. */
export interface TemporalServerHandle {
  /** gRPC address, host:port. */
  address: string;
  /** Web UI base URL (only known for certain when this process started the server). */
  uiUrl: string;
  /** Stops the dev server if this process started it; no-op otherwise. */
  stop: () => Promise<void>;
}

/** Opens a client connection to `address`, or `undefined` when nothing answers there within ~1 s. */
async function tryConnect(address: string): Promise<Connection | undefined> {
  try {
    return await Connection.connect({ address, connectTimeout: 1000 });
  } catch {
    return undefined;
  }
}

/**
 * Registers the custom search attributes (`TicketPhase`, `TicketStatus`, `TicketPriority`: {@link TICKET_SEARCH_ATTRIBUTES}) on `namespace`,
 * adding only those missing, so a reused server gets them too.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = TICKET_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/** Resolves once `child` exits (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Makes a Temporal server available at `TEMPORAL_ADDRESS`.
 *
 * @throws Error when no server answers and `TEMPORAL_CLI` is unset, or the dev server does not
 *   answer within 60 s (its log is `DATA_DIR/temporal.log`).
 */
export async function startTemporalServer(config: Config, log: Logger): Promise<TemporalServerHandle> {
  const address = config.TEMPORAL_ADDRESS;
  const uiUrl = `http://localhost:${config.TEMPORAL_UI_PORT}`;
  let connection = await tryConnect(address);
  let child: ChildProcess | undefined;
  if (connection) {
    log.info({ address }, 'reusing the Temporal server already running');
  } else {
    if (!config.TEMPORAL_CLI) {
      throw new Error(`no Temporal server at ${address} and TEMPORAL_CLI is unset: run through "npm start" or set TEMPORAL_CLI`);
    }
    const [host, port] = address.split(':');
    mkdirSync(config.DATA_DIR, { recursive: true });
    const logFile = path.join(config.DATA_DIR, 'temporal.log');
    const output = openSync(logFile, 'a');
    const args = ['server', 'start-dev', '--ip', host ?? '127.0.0.1', '--port', port ?? '7233'];
    args.push('--ui-port', String(config.TEMPORAL_UI_PORT), '--namespace', config.TEMPORAL_NAMESPACE);
    args.push('--db-filename', path.join(config.DATA_DIR, 'temporal.db'), '--log-level', 'warn');
    for (const key of TICKET_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
    log.info({ address, uiUrl, logFile }, 'starting the Temporal dev server');
    const server = spawn(config.TEMPORAL_CLI, args, { stdio: ['ignore', output, output] });
    child = server;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!connection) {
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`the Temporal dev server did not come up at ${address}; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_MS));
      connection = await tryConnect(address);
    }
  }
  try {
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  } finally {
    await connection.close();
  }
  return {
    address,
    uiUrl,
    stop: async () => {
      if (!child) return;
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
