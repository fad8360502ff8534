/**
 * A Temporal CLI dev server (`temporal server start-dev`) as a child process this test owns, for
 * fault tests that stop and restart it: persistent SQLite state in `--db-filename`, the ticket
 * search attributes, headless, on fixed ports chosen once so a restart comes back at the same
 * address. (TestWorkflowEnvironment.createLocal cannot be stopped and restarted on the same state.)
 *
 * The ports are chosen below the Linux ephemeral range (32768+), so no outgoing connection can
 * take the port while the server is down and listening on it again cannot fail with EADDRINUSE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { TICKET_SEARCH_ATTRIBUTES } from '../../src/platform/search-attributes';
import { delay } from './poll';

/** A free TCP port of 127.0.0.1 in 20000–29999 (free now; not reserved). */
export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
    if (tries >= 100) throw new Error('no free port in 20000–29999');
  }
}

/** Options of {@link DevServer.start}. */
export interface DevServerOptions {
  /** Path of the Temporal CLI. */
  cli: string;
  /** SQLite file of the server's state, kept across restarts. */
  dbFile: string;
  /** Where the server's stdout and stderr are appended. */
  logFile: string;
  namespace?: string;
  /** How long to wait for the server to answer, per start (default 60 s). */
  startupTimeoutMs?: number;
}

/** How a stopped server process ended. */
export interface DevServerExit {
  /** Exit code, or the signal that ended it. */
  how: string;
  /** From the signal to the exit. */
  ms: number;
}

export class DevServer {
  private child: ChildProcess | undefined;
  private exit: Promise<string> | undefined;
  /** Every pid this server ran as, for the report. */
  readonly pids: number[] = [];

  private constructor(
    private readonly options: DevServerOptions,
    readonly port: number,
    readonly uiPort: number,
  ) {}

  /** Chooses the ports, starts the server and waits until it answers (search attributes registered). */
  static async start(options: DevServerOptions): Promise<DevServer> {
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    const server = new DevServer(options, port, uiPort);
    await server.restart();
    return server;
  }

  /** gRPC address, host:port. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get namespace(): string {
    return this.options.namespace ?? 'default';
  }

  /** The current process's pid, if one is running. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the server process (again) on the same ports and database file, and resolves once it
   * accepts connections and lists the ticket search attributes.
   *
   * @returns milliseconds from the spawn until it answered
   * @throws Error when it exits or does not answer within the start-up timeout (see the log file)
   */
  async restart(): Promise<number> {
    if (this.running) throw new Error(`the dev server already runs (pid ${this.child!.pid})`);
    const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(this.port), '--ui-port', String(this.uiPort)];
    args.push('--namespace', this.namespace, '--db-filename', this.options.dbFile, '--log-level', 'never');
    for (const key of TICKET_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
    const started = Date.now();
    appendFileSync(this.options.logFile, `\n--- ${new Date(started).toISOString()} ${this.options.cli} ${args.join(' ')}\n`);
    const child = spawn(this.options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('the Temporal dev server did not start');
    const log = (chunk: Buffer) => appendFileSync(this.options.logFile, chunk);
    child.stdout.on('data', log);
    child.stderr.on('data', log);
    this.child = child;
    this.pids.push(child.pid);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
    const deadline = started + (this.options.startupTimeoutMs ?? 60_000);
    for (;;) {
      if (!this.running) throw new Error(`the Temporal dev server exited (${await this.exit}) before answering; see ${this.options.logFile}`);
      if (await this.answers()) return Date.now() - started;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the Temporal dev server did not answer at ${this.address} within ${deadline - started} ms; see ${this.options.logFile}`);
      }
      await delay(100);
    }
  }

  /** Whether the server accepts a connection and lists the ticket search attributes on the namespace. */
  async answers(): Promise<boolean> {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
      const conn = connection;
      const { customAttributes } = await conn.withDeadline(Date.now() + 2000, () => conn.operatorService.listSearchAttributes({ namespace: this.namespace }));
      return TICKET_SEARCH_ATTRIBUTES.every((key) => key.name in (customAttributes ?? {}));
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  /**
   * Sends `signal` (default SIGTERM, a graceful stop) and waits for the exit; SIGKILL after `graceMs`.
   * No-op when it is not running.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<DevServerExit> {
    const child = this.child;
    const exit = this.exit;
    if (!child || !exit) return { how: 'not started', ms: 0 };
    const sent = Date.now();
    if (this.running) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return { how: await exit, ms: Date.now() - sent };
    } finally {
      clearTimeout(timer);
    }
  }
}
