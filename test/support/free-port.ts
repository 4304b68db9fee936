import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const PORT_CLASH = 'address is already in use';
const ATTEMPTS = 5;

/**
 * Starts a server on a free port. The port is free when picked but another test's process can bind it
 * before the child does (the server then exits saying so); that start is retried on a new port.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (attempt >= ATTEMPTS || !String(err).includes(PORT_CLASH)) throw err;
    }
  }
}
