import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { notFound } from '../../core/errors.js';
import type { WebFile } from './web-files.js';

/**
 * Only this origin's own scripts, styles and sockets: no inline code, no third-party host, no
 * framing. 'wasm-unsafe-eval' lets libsodium compile its WebAssembly (it allows no JavaScript eval);
 * connect-src 'self' covers the same origin's ws:/wss: in CSP Level 3 browsers.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** index.html and sw.js must be fetched anew each time, so a new build reaches the browser; hashed assets never change. */
const cacheControl = (file: WebFile) => (file.immutable ? 'public, max-age=31536000, immutable' : 'no-store');

/**
 * The web client at /app/: the files `npm run build` wrote to dist/web, read once at startup.
 * /app redirects to /app/ so that the service worker's scope (/app/) covers the page.
 */
export const webHttp: FastifyPluginAsync<{ files: Map<string, WebFile> | undefined; dir: string }> = async (app, { files, dir }) => {
  const send = (path: string, reply: FastifyReply) => {
    if (files === undefined) throw notFound('WEB_CLIENT_MISSING', `The web client is not built: run \`npm run build\` (it writes ${dir})`);
    const file = files.get(path);
    if (file === undefined) throw notFound('NOT_FOUND', 'No such file in the web client');
    return reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl(file)).type(file.type).send(file.body);
  };
  const hide = { schema: { hide: true } };
  app.get('/app', hide, (_request, reply) => reply.redirect('/app/'));
  app.get('/app/', hide, (_request, reply) => send('index.html', reply));
  app.get<{ Params: { '*': string } }>('/app/*', hide, (request, reply) => send(request.params['*'], reply));
};
