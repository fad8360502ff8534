/**
 * A TCP proxy in front of a server (the test PostgreSQL), for outage tests: clients connect to the
 * proxy's port instead of the server's, and {@link TcpProxy.cut} makes the server unreachable —
 * every open connection is destroyed and the port stops listening, so new connections are refused
 * (ECONNREFUSED) — until {@link TcpProxy.restore} listens on the same port again.
 *
 * The port is chosen below the Linux ephemeral range (32768+), so no outgoing connection can hold it
 * while the proxy is down and listening on it again cannot fail with EADDRINUSE.
 */
import net from 'node:net';

/** What the proxy saw, for reports. */
export interface ProxyStats {
  /** Client connections accepted (and piped to the server). */
  accepted: number;
  /** Connections (client and server sides) destroyed by {@link TcpProxy.cut}. */
  destroyed: number;
  /** Connections to the server that failed. */
  upstreamErrors: number;
}

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private listeningPort = 0;
  readonly stats: ProxyStats = { accepted: 0, destroyed: 0, upstreamErrors: 0 };

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Starts a proxy to `targetHost:targetPort` on a free port of 127.0.0.1 (20000–29999). */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    for (let tries = 0; ; tries++) {
      const port = 20_000 + Math.floor(Math.random() * 10_000);
      try {
        await proxy.listen(port);
        return proxy;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= 50) throw error;
      }
    }
  }

  /** A proxy in front of the server of a `postgresql://` URL. */
  static forUrl(url: string): Promise<TcpProxy> {
    const parsed = new URL(url);
    return TcpProxy.start(parsed.hostname, Number(parsed.port || 5432));
  }

  /** The proxy's port. */
  get port(): number {
    return this.listeningPort;
  }

  /** Whether the proxy accepts connections (false between {@link cut} and {@link restore}). */
  get up(): boolean {
    return this.server !== undefined;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.listeningPort);
    return parsed.toString();
  }

  /** Destroys every open connection and stops listening: the server is unreachable. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) {
      socket.destroy();
      this.stats.destroyed++;
    }
    this.sockets.clear();
    await closed;
  }

  /** Listens on the same port again: the server is reachable. */
  async restore(): Promise<void> {
    if (!this.server) await this.listen(this.listeningPort);
  }

  /** Stops the proxy for good (cuts every connection). */
  stop(): Promise<void> {
    return this.cut();
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.pipe(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.listeningPort = port;
        resolve();
      });
    });
  }

  private pipe(client: net.Socket): void {
    if (!this.server) {
      client.destroy();
      return;
    }
    this.stats.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.track(client);
    this.track(upstream);
    upstream.on('error', () => {
      this.stats.upstreamErrors++;
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
