import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { notFound } from '../../core/errors.js';

/** The dashboard's files, relative to the package root (the same from src/ under tsx and from dist/). */
export const DASHBOARD_DIR = join('src', 'features', 'admin', 'dashboard');
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The nearest folder above this module that holds package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Reads the dashboard files once; undefined if any is missing (e.g. an image built without them). */
export function loadDashboard(dir = join(packageRoot(), DASHBOARD_DIR)): Map<string, Buffer> | undefined {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(FILES)) {
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    files.set(name, readFileSync(path));
  }
  return files;
}

/**
 * The admin web dashboard at /admin: static HTML, CSS and JavaScript (no build step) that call the
 * admin API with the token from the login form. 404 while the admin API is disabled.
 */
export const dashboardHttp: FastifyPluginAsync<{ enabled: boolean; files: Map<string, Buffer> | undefined }> = async (app, { enabled, files }) => {
  const serve = (name: string) => async (_request: unknown, reply: FastifyReply) => {
    if (!enabled) throw notFound('ADMIN_DISABLED', 'The admin dashboard is disabled on this server: set ADMIN_PASSWORD and ANALYTICS_JWT_SECRET to enable it');
    const body = files?.get(name);
    if (body === undefined) throw notFound('DASHBOARD_MISSING', `The dashboard files are missing from ${DASHBOARD_DIR}`);
    return reply.headers(HEADERS).type(FILES[name]!).send(body);
  };
  const hide = { schema: { hide: true } };
  app.get('/admin', hide, serve('index.html'));
  app.get('/admin/', hide, serve('index.html'));
  for (const name of Object.keys(FILES)) app.get(`/admin/${name}`, hide, serve(name));
};
