import { ApiError } from '../core/errors.js';

/**
 * Where a WebSocket dialect is reached. Several dialects share `/ws` (the original clients chose
 * the paths), so each one says exactly which requests are its own:
 * - `{ path }`: that path (a trailing slash is ignored), when no query route of the path applies;
 * - `{ path, query, unless? }`: that path carrying the query parameter `query` (and none of `unless`);
 * - `{ under, segment? }`: one path segment below `under` (`/ws/{x}`), of the given shape if any.
 */
export type WsRoute = { path: string; query?: string; unless?: readonly string[] } | { under: string; segment?: RegExp };

/** The request a route found: its URL and, for a segment route, the segment as sent (still percent-encoded). */
export interface WsRequestTarget {
  url: URL;
  segment?: string;
}

interface PathRoutes<T> {
  byQuery: { query: string; unless: readonly string[]; target: T }[];
  plain?: T;
}

interface SegmentRoutes<T> {
  shaped: { shape: RegExp; target: T }[];
  any?: T;
}

const MAX_SEGMENT = 128;

/**
 * The gateway's routing table. Lookup is by specificity, never by registration order: a query
 * route beats its plain path, a shaped segment beats an unshaped one. Two routes that claim the
 * same requests are refused when registered; a request that two query routes claim gets a 400.
 */
export class WsRouteTable<T> {
  private readonly paths = new Map<string, PathRoutes<T>>();
  private readonly prefixes = new Map<string, SegmentRoutes<T>>();

  add(route: WsRoute, target: T, owner: string): void {
    if ('under' in route) return void this.addSegment(normalPath(route.under), route.segment, target, owner);
    const routes = this.pathRoutes(normalPath(route.path));
    if (route.query === undefined) {
      if (routes.plain !== undefined) throw new Error(`WebSocket route ${route.path} is already taken (${owner})`);
      routes.plain = target;
      return;
    }
    if (routes.byQuery.some((r) => r.query === route.query)) throw new Error(`WebSocket route ${route.path}?${route.query} is already taken (${owner})`);
    routes.byQuery.push({ query: route.query, unless: route.unless ?? [], target });
  }

  /** The dialect a request is for, or undefined (404). */
  find(url: URL): { target: T; request: WsRequestTarget } | undefined {
    const path = normalPath(url.pathname);
    const routes = this.paths.get(path);
    if (routes !== undefined) {
      const claimed = routes.byQuery.filter((r) => url.searchParams.has(r.query) && !r.unless.some((q) => url.searchParams.has(q)));
      if (claimed.length > 1) {
        throw new ApiError(400, 'AMBIGUOUS_ROUTE', `Query parameters ${claimed.map((r) => r.query).join(' and ')} select different WebSocket dialects`);
      }
      const target = claimed[0]?.target ?? routes.plain;
      if (target !== undefined) return { target, request: { url } };
    }
    const cut = path.lastIndexOf('/');
    const segment = path.slice(cut + 1);
    const under = this.prefixes.get(path.slice(0, cut + 1));
    if (under === undefined || segment.length === 0 || segment.length > MAX_SEGMENT) return undefined;
    const target = under.shaped.find((r) => r.shape.test(segment))?.target ?? under.any;
    return target === undefined ? undefined : { target, request: { url, segment } };
  }

  private pathRoutes(path: string): PathRoutes<T> {
    let routes = this.paths.get(path);
    if (routes === undefined) {
      routes = { byQuery: [] };
      this.paths.set(path, routes);
    }
    return routes;
  }

  private addSegment(under: string, shape: RegExp | undefined, target: T, owner: string): void {
    const prefix = under.endsWith('/') ? under : `${under}/`;
    let routes = this.prefixes.get(prefix);
    if (routes === undefined) {
      routes = { shaped: [] };
      this.prefixes.set(prefix, routes);
    }
    if (shape !== undefined) return void routes.shaped.push({ shape, target });
    if (routes.any !== undefined) throw new Error(`WebSocket route ${prefix}{segment} is already taken (${owner})`);
    routes.any = target;
  }
}

/** `/ws/` and `/ws` are one path; `/` stays `/`. */
function normalPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
