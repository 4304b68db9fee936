// The original Whispr server (Python, FastAPI, github:Akame1981/Whispr) as the baseline of the
// `original` phase. Nothing of it is in this repository: BENCH_ORIGINAL_DIR points at a work tree the
// user checked out (see bench/README.md). It runs as its docs say (`uvicorn server:app`, Redis mode),
// on 127.0.0.1 and a free port, from a temp dir, so its files land there and not in that work tree.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { freePort } from '../test/support/free-port.js';
import { deleteRedisKeys } from '../test/support/redis-keys.js';

/** Where the original server comes from and which Redis database it may use. */
export interface OriginalSetup {
  dir: string;
  python: string;
  /** Redis URL with the database number the original gets (its code hard-codes localhost:6379 db 0); undefined: memory mode. */
  redisUrl: string | undefined;
}

/** The key families the original's /send writes (rate limit, inbox, analytics): deleted afterwards. */
const ORIGINAL_KEY_PREFIXES = ['rate:', 'inbox:', 'metrics:'];

/** The original's server directories its server.py imports or reads (groups router, analytics, settings). */
const SERVER_UTILS = ['config', 'groups_backend', 'analytics_backend'];

/**
 * Starts uvicorn with server:app. Redis mode: its Redis client is redirected to the bench's database
 * (the original hard-codes localhost:6379 db 0, which other users of this Redis share). Memory mode:
 * `redis` cannot be imported, as when it is not installed, and the original keeps its queues in memory.
 * Nothing else is changed.
 */
const LAUNCHER = `
import sys, uvicorn
app_dir, host, port, redis_host, redis_port, redis_db = sys.argv[1:]
if redis_host == "":
    sys.modules["redis"] = None
else:
    import redis
    class BenchRedis(redis.Redis):
        def __init__(self, *args, **kwargs):
            kwargs.update(host=redis_host, port=int(redis_port), db=int(redis_db))
            super().__init__(*args, **kwargs)
    redis.Redis = BenchRedis
sys.path.insert(0, app_dir)
uvicorn.run("server:app", host=host, port=int(port))
`;

/** The setup from the environment, or why the original cannot run (the phase is then skipped). */
export async function originalSetup(redisBaseUrl: string): Promise<OriginalSetup | { skipped: string }> {
  const dir = process.env.BENCH_ORIGINAL_DIR;
  if (dir === undefined || dir === '') return { skipped: 'BENCH_ORIGINAL_DIR is not set (a work tree of github:Akame1981/Whispr, see bench/README.md)' };
  if (!existsSync(join(dir, 'server.py'))) return { skipped: `BENCH_ORIGINAL_DIR=${dir} has no server.py` };
  const python = process.env.BENCH_ORIGINAL_PYTHON ?? '/usr/bin/python3';
  if (process.env.BENCH_ORIGINAL_MODE === 'memory') return { dir: resolve(dir), python, redisUrl: undefined };
  const url = new URL(redisBaseUrl);
  url.pathname = `/${process.env.BENCH_ORIGINAL_REDIS_DB ?? '9'}`;
  const redisUrl = url.toString();
  const redis = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    // Refuse a database someone else uses: the cleanup afterwards deletes the original's key families.
    const keys = await redis.dbsize();
    if (keys > 0) return { skipped: `Redis ${redisUrl} holds ${keys} keys; choose an empty database with BENCH_ORIGINAL_REDIS_DB` };
  } catch (err) {
    return { skipped: `Redis ${redisUrl} did not answer (${(err as Error).message}); set BENCH_CLUSTER_REDIS_URL / BENCH_ORIGINAL_REDIS_DB` };
  } finally {
    redis.disconnect();
  }
  return { dir: resolve(dir), python, redisUrl };
}

export interface OriginalServer {
  pid: number;
  url: string;
  /** Rows in the original's SQLite inbox (it writes every accepted send there before Redis). */
  storedMessages(): Promise<number>;
  stop(): Promise<void>;
}

let running: ChildProcess | undefined;

/** Kills the original server if it still runs (by pid); for the bench's exit handlers. */
export function killOriginal(): void {
  if (running?.pid !== undefined && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
}

/**
 * The original server in a temp dir that links to its code (server.py resolves its data dirs from its
 * own path): its SQLite inbox and groups database are created there and removed by stop().
 */
export async function startOriginalServer(setup: OriginalSetup): Promise<OriginalServer> {
  const appDir = mkdtempSync(join(tmpdir(), 'whispr-bench-original-'));
  mkdirSync(join(appDir, 'server_utils'));
  symlinkSync(join(setup.dir, 'server.py'), join(appDir, 'server.py'));
  for (const name of SERVER_UTILS) symlinkSync(join(setup.dir, 'server_utils', name), join(appDir, 'server_utils', name));
  const port = await freePort();
  const redis = setup.redisUrl === undefined ? undefined : new URL(setup.redisUrl);
  const redisArgs = redis === undefined ? ['', '', ''] : [redis.hostname, redis.port || '6379', redis.pathname.slice(1)];
  const child = spawn(setup.python, ['-c', LAUNCHER, appDir, '127.0.0.1', String(port), ...redisArgs], {
    cwd: appDir,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    // stdout: its per-request prints and uvicorn's access log go to /dev/null, as Whispr's request log does.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running = child;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const cleanup = async () => {
    const { redisUrl } = setup;
    if (redisUrl !== undefined) for (const prefix of ORIGINAL_KEY_PREFIXES) await deleteRedisKeys(redisUrl, prefix);
    rmSync(appDir, { recursive: true, force: true });
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 10_000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    running = undefined;
    await cleanup();
  };
  try {
    await untilAnswers(url, exited);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    pid: child.pid ?? 0,
    url,
    storedMessages: async () => {
      const db = new Database(join(appDir, 'server_utils', 'data', 'server_inbox.db'), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    stop,
  };
}

/** Polls the server's OpenAPI document (FastAPI serves it) every 100 ms for up to 30 s. */
async function untilAnswers(url: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (gone) throw new Error('the original server exited before it answered');
    try {
      if ((await fetch(`${url}/openapi.json`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the original server did not answer within 30 s');
}
