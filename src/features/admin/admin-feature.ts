import { feature } from '../../app/feature.js';
import { VERSION } from '../../app/version.js';
import { adminHttp } from './admin-http.js';
import { DASHBOARD_DIR, dashboardHttp, loadDashboard } from './dashboard-http.js';

/** The admin API (/api/auth/login, /api/stats/*, /api/groups/*) and the web dashboard (/admin). */
export const adminFeature = feature({
  name: 'admin',
  needs: ['groupOperations', 'systemDetails'],
  options: (config) => ({ dataDir: config.data_dir }),
  async register({ app, platform }, { dataDir }, { groupOperations, systemDetails }) {
    const { adminAuth: auth, analytics, log, now, startedAt } = platform;
    await app.register(adminHttp, { auth, analytics, groups: groupOperations, systemDetails, version: VERSION, startedAt, dataDir, now });
    const files = auth.enabled ? loadDashboard() : undefined;
    if (auth.enabled && files === undefined) log.warn({ dir: DASHBOARD_DIR }, 'admin dashboard files not found; /admin answers 404 (the admin API works)');
    await app.register(dashboardHttp, { enabled: auth.enabled, files });
    if (!auth.enabled) log.info('admin API and dashboard disabled (admin_password is empty)');
    return {};
  },
});
