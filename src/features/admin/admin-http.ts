import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { dayRange, dailyRows, hourlyRows, overview, pick, toCsv, type Analytics } from '../analytics/index.js';
import { type GroupOperations, groupFields } from '../groups/index.js';
import { requireAdmin, type AdminAuth } from './admin-auth.js';
import { directorySize } from './disk-usage.js';

export interface AdminHttpOptions {
  auth: AdminAuth;
  analytics: Analytics;
  groups: GroupOperations;
  /** The details /health shows (connections, rooms, calls, queues, ...), so both agree. */
  systemDetails: () => Promise<Record<string, unknown>>;
  version: string;
  startedAt: number;
  dataDir: string;
  now: () => number;
}

const tags = ['admin'];
const security = [{ bearer: [] }];
const DEFAULT_PUBLIC_LIST = 200;
const STORAGE_SIZE_CACHE_MS = 30_000;
const MESSAGE_METRICS = ['messages', 'message_bytes', 'group_messages', 'group_message_bytes'] as const;
const ATTACHMENT_METRICS = ['attachments', 'attachment_bytes', 'group_attachments', 'group_attachment_bytes'] as const;

const DATE = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC day, YYYY-MM-DD' });
const range = { querystring: Type.Object({ from: Type.Optional(DATE), to: Type.Optional(DATE) }) };
type RangeQuery = { from?: string; to?: string };

const errorResponse = Type.Object({ detail: Type.String(), error_code: Type.String(), timestamp: Type.Number() });

/**
 * The admin API of the original analytics backend, on the main port: /api/auth/login, then with the
 * admin token /api/stats/* and /api/groups/*. Counters only: nothing here can name a user.
 */
export const adminHttp: FastifyPluginAsync<AdminHttpOptions> = async (app, options) => {
  const { auth, analytics, groups, now } = options;
  // Walking data_dir (every attachment file) at most every 30 s, however often dashboards poll.
  let storage = { at: -Infinity, bytes: Promise.resolve(0) };
  const storageBytes = () => {
    if (Date.now() - storage.at > STORAGE_SIZE_CACHE_MS) {
      const bytes = directorySize(options.dataDir);
      storage = { at: Date.now(), bytes };
      bytes.catch(() => (storage = { at: -Infinity, bytes: Promise.resolve(0) })); // retried next time
    }
    return storage.bytes;
  };

  // The original login is an OAuth2 password form; JSON is accepted too.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.post<{ Body: { username: string; password: string } }>(
    '/api/auth/login',
    {
      schema: {
        tags,
        summary: 'Admin login (form or JSON username, password); rate limited per address',
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }),
        response: {
          200: Type.Object({ access_token: Type.String(), token_type: Type.Literal('bearer'), expires_in: Type.Integer() }),
          401: errorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request) => auth.login(request.ip, request.body.username, request.body.password),
  );

  await app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(auth));

    admin.get(
      '/api/stats/overview',
      {
        schema: {
          tags,
          security,
          summary: 'Messages ever counted, users active today, groups, messages per day',
          response: {
            200: Type.Object({
              total_messages: Type.Integer(),
              active_users: Type.Integer(),
              groups_count: Type.Integer(),
              avg_messages_per_day: Type.Number(),
              analytics_enabled: Type.Boolean(),
            }),
          },
        },
      },
      async () => overview(analytics, await groups.count(), now()),
    );

    admin.get(
      '/api/stats/system',
      { schema: { tags, security, summary: 'Server status: connections, rooms, calls, queues, storage, uptime, version' } },
      async () => ({
        status: 'ok',
        version: options.version,
        uptime_seconds: Math.round((Date.now() - options.startedAt) / 1000),
        storage_bytes: await storageBytes(),
        analytics_enabled: analytics.enabled,
        ...(await options.systemDetails()),
      }),
    );

    admin.get<{ Querystring: RangeQuery }>(
      '/api/stats/users',
      { schema: { tags, security, summary: 'Active users per day (distinct senders; keyed hashes rotated daily)', ...range } },
      async (request) => {
        const { from, to } = dayRange(request.query, now());
        const rows = await dailyRows(analytics, from, to);
        return { from, to, days: rows.map((r) => ({ date: r.date, active_users: r.active_users })) };
      },
    );

    admin.get<{ Querystring: RangeQuery }>(
      '/api/stats/messages',
      { schema: { tags, security, summary: 'Direct and group messages and bytes per day, and per hour', ...range } },
      async (request) => {
        const { from, to } = dayRange(request.query, now());
        const [days, hours] = await Promise.all([dailyRows(analytics, from, to), hourlyRows(analytics, from, to)]);
        return {
          from,
          to,
          days: days.map((r) => ({ date: r.date, ...pick(r, MESSAGE_METRICS) })),
          hours: hours.filter((r) => r.messages + r.group_messages > 0).map((r) => ({ date: r.date, hour: r.hour, ...pick(r, MESSAGE_METRICS) })),
        };
      },
    );

    admin.get<{ Querystring: RangeQuery }>(
      '/api/stats/attachments',
      { schema: { tags, security, summary: 'Direct and group attachments and bytes per day', ...range } },
      async (request) => {
        const { from, to } = dayRange(request.query, now());
        const rows = await dailyRows(analytics, from, to);
        return {
          from,
          to,
          days: rows.map((r) => ({ date: r.date, ...pick(r, ATTACHMENT_METRICS) })),
        };
      },
    );

    admin.get<{ Querystring: RangeQuery }>(
      '/api/stats/export.csv',
      { schema: { tags, security, summary: 'Every daily counter as CSV (text/csv), one row per day', ...range } },
      async (request, reply) => {
        const { from, to } = dayRange(request.query, now());
        const csv = toCsv(await dailyRows(analytics, from, to));
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="whispr-stats-${from}-${to}.csv"`).send(csv);
      },
    );

    admin.get<{ Querystring: { query?: string; limit?: number } }>(
      '/api/groups/public/list',
      {
        schema: {
          tags,
          security,
          summary: 'Public groups, newest first, optionally filtered by name',
          querystring: Type.Object({ query: Type.Optional(Type.String({ maxLength: 100 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        },
      },
      async (request) => groups.publicGroups(request.query.query, request.query.limit ?? DEFAULT_PUBLIC_LIST),
    );

    admin.delete<{ Querystring: { group_id: string } }>(
      '/api/groups/delete',
      {
        schema: {
          tags,
          security,
          summary: 'Delete any group with its channels, messages, keys and files',
          querystring: Type.Object({ group_id: groupFields.id }),
        },
      },
      async (request) => {
        await groups.delete(request.query.group_id);
        return { status: 'deleted' as const, group_id: request.query.group_id.toLowerCase() };
      },
    );
  });
};
