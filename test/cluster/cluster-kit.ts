/**
 * Several `whispr serve` processes on 127.0.0.1 forming one cluster: storage=postgres on a fresh
 * schema of the machine's PostgreSQL, bus=redis on the machine's Redis under a random key prefix,
 * one shared jwt_secret. Optionally a TCP proxy in front of Redis and/or PostgreSQL, so a test can
 * cut either for a while without touching the shared services. Cleanup kills the processes by pid,
 * drops the schema and deletes the prefix's keys.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { generateIdentity, PushSubscription, WhisprClient, type Identity } from 'whispr-sdk';
import { spawnWhispr } from '../config/cli.js';
import { eventually } from '../support/eventually.js';
import type { OidcProvider } from '../support/oidc-provider.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { POSTGRES_URL, REDIS_URL, requirePostgres, requireRedis } from '../support/services.js';
import { onFreePort } from '../support/free-port.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { deleteRedisKeys } from '../support/redis-keys.js';

export type Frame = Record<string, unknown>;

/** Every node's metrics_token. */
export const CLUSTER_METRICS_TOKEN = 'cluster-metrics-token-for-tests';

/** A node as support/server-status.ts reads it. */
export const scraped = (node: ClusterNode) => ({ url: node.url, config: { metrics_token: CLUSTER_METRICS_TOKEN } });

export interface ClusterNode {
  /** 'A', 'B', 'C', ... */
  name: string;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (for failure messages). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL by pid; resolves once the process is gone. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ClusterOptions {
  /** Number of nodes (default 3). */
  nodes?: number;
  /** WHISPR_* (or other) variables for every node, on top of the cluster's own. */
  env?: Record<string, string>;
  /**
   * Put a TCP proxy between each node and Redis / PostgreSQL (one per node, so one node alone can be
   * cut off; `redisProxy` / `postgresProxy` cut and restore all of them at once).
   */
  proxyRedis?: boolean;
  proxyPostgres?: boolean;
}

export interface Cluster {
  nodes: ClusterNode[];
  readonly A: ClusterNode;
  readonly B: ClusterNode;
  readonly C: ClusterNode;
  schema: TempSchema;
  /** The Redis key and channel prefix of this cluster. */
  prefix: string;
  /** Every node's proxy at once: as if the service itself went down and came back. */
  redisProxy: TcpProxy | undefined;
  postgresProxy: TcpProxy | undefined;
  /** One node's proxy: that node alone loses the service. */
  redisProxyOf(node: ClusterNode): TcpProxy;
  postgresProxyOf(node: ClusterNode): TcpProxy;
  /** The nodes still running. */
  alive(): ClusterNode[];
  /** Starts one more node (same settings), e.g. to replace a killed one. */
  addNode(name: string): Promise<ClusterNode>;
  /** A strict-mode direct-message client of `node` (a new identity unless one is given). */
  client(node: ClusterNode, identity?: Identity): WhisprClient;
  /** Runs `work` on a connection with the cluster's schema as search_path (to look at rows). */
  sql<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** The output of every node, for failure messages. */
  dump(): string;
  stop(): Promise<void>;
}

const NODE_NAMES = 'ABCDEFGH';
const READY_TIMEOUT_MS = 40_000;

/** True when both services answer; otherwise skips (warns) or, with CI=true, throws. */
export async function clusterServicesAvailable(suite: string): Promise<boolean> {
  return (await requirePostgres(suite)) && (await requireRedis(suite));
}

function viaProxy(url: string, port: number | undefined): string {
  if (port === undefined) return url;
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

function proxyOf(proxies: Map<string, TcpProxy>, node: ClusterNode): TcpProxy {
  const proxy = proxies.get(node.name);
  if (proxy === undefined) throw new Error(`node ${node.name} has no proxy (start the cluster with proxyRedis / proxyPostgres)`);
  return proxy;
}

/** down() when down and up() when up do nothing (so afterEach can always restore). */
function idempotent(proxy: TcpProxy): TcpProxy {
  let up = true;
  return {
    port: proxy.port,
    async down() {
      if (!up) return;
      up = false;
      await proxy.down();
    },
    async up() {
      if (up) return;
      await proxy.up();
      up = true;
    },
  };
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const schema = await createTempSchema();
  const prefix = `wt${randomBytes(5).toString('hex')}:`;
  const jwtSecret = randomBytes(32).toString('hex');
  const redisPort = Number(new URL(REDIS_URL).port || 6379);
  const postgresPort = Number(new URL(POSTGRES_URL).port || 5432);
  const redisProxies = new Map<string, TcpProxy>();
  const postgresProxies = new Map<string, TcpProxy>();
  const all = (proxies: Map<string, TcpProxy>): TcpProxy => ({
    port: 0,
    down: async () => void (await Promise.all([...proxies.values()].map((p) => p.down()))),
    up: async () => void (await Promise.all([...proxies.values()].map((p) => p.up()))),
  });
  const redisProxy = options.proxyRedis === true ? all(redisProxies) : undefined;
  const postgresProxy = options.proxyPostgres === true ? all(postgresProxies) : undefined;
  const nodes: ClusterNode[] = [];
  const dirs: string[] = [];

  const env: Record<string, string> = {
    WHISPR_LOG_LEVEL: 'warn',
    WHISPR_STORAGE: 'postgres',
    DATABASE_URL: schema.url(),
    WHISPR_BUS: 'redis',
    REDIS_URL,
    WHISPR_REDIS_PREFIX: prefix,
    WHISPR_JWT_SECRET: jwtSecret,
    WHISPR_MAX_REQUESTS_PER_IP_PER_SECOND: '100000',
    MAX_MESSAGES_PER_SECOND: '100000',
    WHISPR_ACCOUNT_REGISTER_PER_HOUR: '1000000',
    WHISPR_ACCOUNT_AUTH_PER_MINUTE: '1000000',
    WHISPR_ACCOUNT_KEYS_PER_MINUTE: '1000000',
    WHISPR_WEBSOCKET_FRAMES_PER_SECOND: '100000',
    WHISPR_MAX_GROUP_WRITES_PER_SECOND: '100000',
    WHISPR_GROUP_JOINS_PER_MINUTE: '1000000',
    WHISPR_GROUP_JOINS_PER_IP_PER_MINUTE: '1000000',
    WHISPR_MAX_EVENTS_PER_SECOND: '100000',
    WHISPR_ACCOUNT_MESSAGES_PER_SECOND: '100000',
    WHISPR_MAX_PENDING_CHALLENGES_PER_IP: '100000',
    // The cleanup job runs once at start and then rarely: tests look at rows themselves.
    WHISPR_CLEANUP_INTERVAL_SECONDS: '3600',
    // The nodes' private figures (sockets by dialect, queues) are read from /metrics (support/server-status.ts).
    WHISPR_METRICS_TOKEN: CLUSTER_METRICS_TOKEN,
    ...options.env,
  };

  const startNode = async (name: string): Promise<ClusterNode> => {
    const own = { ...env };
    if (options.proxyRedis === true) {
      const proxy = idempotent(await startTcpProxy('127.0.0.1', redisPort));
      redisProxies.set(name, proxy);
      own.REDIS_URL = viaProxy(env.REDIS_URL!, proxy.port);
    }
    if (options.proxyPostgres === true) {
      const proxy = idempotent(await startTcpProxy('127.0.0.1', postgresPort));
      postgresProxies.set(name, proxy);
      own.DATABASE_URL = viaProxy(env.DATABASE_URL!, proxy.port);
    }
    return onFreePort((port) => startNodeOn(name, port, own));
  };

  const startNodeOn = async (name: string, port: number, own: Record<string, string>): Promise<ClusterNode> => {
    const dataDir = mkdtempSync(join(tmpdir(), `whispr-cluster-${name}-`));
    dirs.push(dataDir);
    const child = spawnWhispr(['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], { cwd: dataDir, env: own });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const alive = () => child.exitCode === null && child.signalCode === null;
    const node: ClusterNode = {
      name,
      url: `http://127.0.0.1:${port}`,
      child,
      output: () => output,
      exited,
      alive,
      async kill() {
        if (alive() && child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        return exited;
      },
    };
    nodes.push(node);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const failed = async (why: string) => {
      await node.kill();
      nodes.splice(nodes.indexOf(node), 1);
      return new Error(`node ${name} ${why}:\n${output}`);
    };
    for (;;) {
      if (!alive()) throw await failed('exited early');
      if (Date.now() > deadline) throw await failed(`not ready within ${READY_TIMEOUT_MS} ms`);
      const status = await fetch(`${node.url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return node;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await Promise.all([redisProxy?.down(), postgresProxy?.down()]);
    await schema.drop().catch(() => undefined);
    await deleteRedisKeys(REDIS_URL, prefix).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => startNode(NODE_NAMES[i]!)));
  } catch (err) {
    await stop();
    throw err;
  }
  nodes.sort((a, b) => a.name.localeCompare(b.name));
  const byName = (name: string) => {
    const node = nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  };

  return {
    nodes,
    get A() {
      return byName('A');
    },
    get B() {
      return byName('B');
    },
    get C() {
      return byName('C');
    },
    schema,
    prefix,
    redisProxy,
    postgresProxy,
    redisProxyOf: (node) => proxyOf(redisProxies, node),
    postgresProxyOf: (node) => proxyOf(postgresProxies, node),
    alive: () => nodes.filter((n) => n.alive()),
    addNode: startNode,
    client: (node, identity = generateIdentity()) => new WhisprClient({ baseUrl: node.url, identity }),
    async sql(work) {
      const client = new pg.Client({ connectionString: schema.url() });
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end();
      }
    },
    dump: () => nodes.map((n) => `--- node ${n.name} (${n.url}) ---\n${n.output().slice(-4_000)}`).join('\n'),
    stop,
  };
}

/**
 * One cluster for a describe block: started in beforeAll (after `before`, e.g. an OIDC provider whose
 * settings go into `env`), stopped in afterAll.
 */
export function useCluster(options: ClusterOptions | (() => Promise<ClusterOptions>) = {}): { readonly cluster: Cluster } {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(typeof options === 'function' ? await options() : options);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);
  return {
    get cluster() {
      if (cluster === undefined) throw new Error('the cluster did not start');
      return cluster;
    },
  };
}

/** ws:// URL of `path` on `node`. */
export const wsOf = (node: ClusterNode | string, path: string) => new URL(path, (typeof node === 'string' ? node : node.url).replace(/^http/, 'ws')).toString();

export interface Listener {
  frames: Frame[];
  /** The node the socket is (or was last) connected to. */
  node(): ClusterNode | undefined;
  /** How many times the socket opened. */
  opens(): number;
  closes(): number[];
  next(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  waitOpen(): Promise<void>;
  /** Sends a JSON frame if the socket is open (false otherwise). */
  send(frame: unknown): boolean;
  close(): void;
}

/**
 * A reconnecting socket (PushSubscription, 50 ms first backoff) collecting every JSON frame. `pick`
 * chooses the node of each (re)connect; `path` builds the path (with a token) for that node.
 */
export function reconnectingSocket(
  pick: () => ClusterNode,
  path: (node: ClusterNode) => Promise<string>,
  onFrame?: (frame: Frame, listener: Listener) => void,
): Listener {
  const frames: Frame[] = [];
  let current: ClusterNode | undefined;
  let opens = 0;
  const closes: number[] = [];
  const sub = new PushSubscription({
    url: async () => {
      current = pick();
      return wsOf(current, await path(current));
    },
    onFrame: (frame) => {
      frames.push(frame as Frame);
      onFrame?.(frame as Frame, listener);
    },
    onOpen: () => (opens += 1),
    onClose: (code) => closes.push(code),
    initialBackoffMs: 50,
    maxBackoffMs: 400,
  });
  const listener: Listener = {
    frames,
    node: () => current,
    opens: () => opens,
    closes: () => closes,
    async next(match, timeoutMs = 3_000) {
      let found: Frame | undefined;
      await eventually(() => {
        found = frames.find(match);
        return found !== undefined;
      }, timeoutMs).catch(() => {
        throw new Error(`no matching frame within ${timeoutMs} ms on ${current?.name}; got ${JSON.stringify(frames).slice(0, 2_000)}`);
      });
      return found!;
    },
    waitOpen: () => sub.waitOpen(),
    send: (frame) => sub.send(frame),
    close: () => sub.close(),
  };
  return listener;
}

/** The push socket /ws/{key}?token= of `client`'s identity, (re)connecting to the node `pick` returns. */
export async function pushSocket(client: WhisprClient, pick: () => ClusterNode, onFrame?: (frame: Frame) => void): Promise<Listener> {
  const token = await client.token(); // valid on every node: one jwt_secret
  const listener = reconnectingSocket(pick, async () => `/ws/${client.address}?token=${encodeURIComponent(token ?? '')}`, onFrame);
  await listener.waitOpen();
  return listener;
}

/** A raw socket collecting frames from the first one on (frames sent right after the upgrade are kept). */
export async function rawSocket(url: string): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

/** Status, JSON body and Retry-After of one HTTP call (no throw on errors, status 0 on a connection failure). */
// biome-ignore lint/suspicious/noExplicitAny: the JSON body of any endpoint, read field by field by the cluster tests (18 places); unknown would only add a cast at each
export async function httpCall(url: string, init: RequestInit = {}): Promise<{ status: number; body: any; retryAfter?: string | null }> {
  try {
    const response = await fetch(url, init);
    const retryAfter = response.headers.get('retry-after');
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return retryAfter === null ? { status: response.status, body } : { status: response.status, body, retryAfter };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** The settings that make the nodes trust a local OIDC provider (chat-app users and events). */
export const oidcEnv = (oidc: OidcProvider): Record<string, string> => ({
  OIDC_JWKS_URL: oidc.jwksUrl,
  OIDC_ISSUERS: oidc.issuer,
  OIDC_AUDIENCE: oidc.audience,
});

let chatSerial = 0;
/** A chat-app user registered through `node` (POST /api/register with an ID token of `oidc`). */
export async function chatUser(oidc: OidcProvider, node: ClusterNode): Promise<{ id: string; token: string }> {
  const sub = `cluster${++chatSerial}x${randomBytes(4).toString('hex')}`;
  const token = await oidc.idToken(sub);
  const answer = await httpCall(`${node.url}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ google_id_token: token, public_key: Buffer.from(`pk-${sub}`).toString('base64'), display_name: sub }),
  });
  if (answer.status !== 200) throw new Error(`register on ${node.name} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id: answer.body.user_id as string, token };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
