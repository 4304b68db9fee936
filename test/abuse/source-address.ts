/**
 * Speaking from another client address: the SDK calls the global fetch, which cannot bind a local
 * address, so `fromAddress` runs `work` with a fetch over node:http bound to `localAddress` (any
 * 127.x.y.z works on this machine). Calls of the test are sequential, so nothing else goes out
 * through it meanwhile.
 */
import { request } from 'node:http';

function fetchBoundTo(localAddress: string): typeof fetch {
  return (input, init) =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const outgoing = request(url, { method: init?.method ?? 'GET', headers, localAddress }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const body = Buffer.concat(chunks);
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') answerHeaders.set(name, value);
          resolve(new Response(body.length === 0 ? null : body, { status: incoming.statusCode ?? 500, headers: answerHeaders }));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(init?.body as string | Buffer | undefined);
    });
}

export async function fromAddress<T>(localAddress: string, work: () => Promise<T>): Promise<T> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = fetchBoundTo(localAddress);
  try {
    return await work();
  } finally {
    globalThis.fetch = realFetch;
  }
}
