import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A reverse proxy on 127.0.0.1 that, like most, appends its peer's address to whatever
 * X-Forwarded-For the client sent (so a forged entry stays, left of the real one), for plain
 * requests and WebSocket upgrades alike.
 */
export interface AppendingProxy {
  url: string;
  stop(): Promise<void>;
}

export async function startAppendingProxy(targetUrl: string): Promise<AppendingProxy> {
  const target = new URL(targetUrl);
  const port = Number(target.port);
  const sockets = new Set<Socket>();
  const forwardedHeaders = (req: IncomingMessage): IncomingHttpHeaders => {
    const sent = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress ?? '';
    return { ...req.headers, 'x-forwarded-for': sent === undefined ? peer : `${sent}, ${peer}` };
  };
  const server = createServer((req, res) => {
    const upstream = httpRequest({ host: target.hostname, port, method: req.method, path: req.url, headers: forwardedHeaders(req) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, client: Socket, head: Buffer) => {
    const upstream = connect(port, target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    const headers = Object.entries(forwardedHeaders(req)).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
    upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
    upstream.write(head);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
