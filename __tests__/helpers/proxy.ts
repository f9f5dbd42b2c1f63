import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

// A loopback HTTP proxy that speaks both ways a client uses a proxy: CONNECT tunnels (what
// undici's ProxyAgent opens, also for http://) and absolute-URI forward requests. It logs
// what it forwarded, and it only ever connects to 127.0.0.1: `hosts` maps made-up names
// (which only the proxy can resolve) to loopback, so a call that arrives proves it went
// through the proxy.

export interface Forwarded {
  /** `CONNECT` for a tunnel, else the forwarded request's method. */
  method: string;
  /** host:port as the client asked for it. */
  target: string;
  /** The forwarded request's path; tunnels hide theirs. */
  path?: string;
}

export interface LoopbackProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY. */
  url: string;
  log: Forwarded[];
  close(): Promise<void>;
}

export async function startProxy(options: { hosts?: Record<string, string> } = {}): Promise<LoopbackProxy> {
  const log: Forwarded[] = [];
  const sockets = new Set<Socket>();

  /** Where the proxy connects for `host`, or undefined when that would leave this machine. */
  function resolve(host: string): string | undefined {
    const address = options.hosts?.[host.toLowerCase()] ?? host;
    return address === '127.0.0.1' ? address : undefined;
  }

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('a proxy request needs an absolute URI');
      return;
    }
    log.push({ method: req.method ?? '', target: url.host, path: url.pathname + url.search });
    const address = resolve(url.hostname);
    if (!address) {
      res.writeHead(502).end(`the test proxy does not leave 127.0.0.1 (asked for ${url.host})`);
      return;
    }
    const upstream = request(
      { host: address, port: url.port || 80, method: req.method, path: url.pathname + url.search, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  const server = createServer(forward);
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    const target = req.url ?? '';
    log.push({ method: 'CONNECT', target });
    const at = target.lastIndexOf(':');
    const address = resolve(target.slice(0, at).replace(/^\[|\]$/g, ''));
    if (at < 0 || !address) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(Number(target.slice(at + 1)), address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((done, fail) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections();
      }),
  };
}
