import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { adminHttp, type AdminHttpOptions } from './admin-http.js';
import { DASHBOARD_DIR, dashboardHttp, loadDashboard } from './dashboard-http.js';

/** The admin API (/api/auth/login, /api/stats/*, /api/groups/*) and the web dashboard (/admin). */
export async function registerAdmin(app: FastifyInstance, deps: AdminHttpOptions & { log: Logger }): Promise<void> {
  const { log, ...options } = deps;
  await app.register(adminHttp, options);
  const files = options.auth.enabled ? loadDashboard() : undefined;
  if (options.auth.enabled && files === undefined) log.warn({ dir: DASHBOARD_DIR }, 'admin dashboard files not found; /admin answers 404 (the admin API works)');
  await app.register(dashboardHttp, { enabled: options.auth.enabled, files });
  if (!options.auth.enabled) log.info('admin API and dashboard disabled (admin_password is empty)');
}
