// Child process: the bare baseline. node:http + the same Ed25519 check (sodium-native) + the same
// SQLite row (better-sqlite3, WAL, synchronous=NORMAL, Whispr's own inbox_messages schema and indexes).
// No framework, no schema validation, no rate limits, no push, and (unless BENCH_BARE_MODE=replay) no
// replay receipts or queue cap: a floor to compare Whispr with.
import Database from 'better-sqlite3';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { requireSodium } from '../src/core/sodium.js';
import { SQLITE_MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { serveUntilStopped } from './child.js';

const dataDir = process.env.BENCH_DATA_DIR;
if (dataDir === undefined) throw new Error('BENCH_DATA_DIR is required');
/** insert: one INSERT per request (the default); replay: also Whispr's replay-receipt lookup/insert and queue count, in one transaction. */
const mode = process.env.BENCH_BARE_MODE === 'replay' ? 'replay' : 'insert';

const sodium = requireSodium('the bare baseline');
const db = new Database(join(dataDir, 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
for (const sql of SQLITE_MIGRATIONS) db.exec(sql);

const insert = db.prepare('INSERT INTO inbox_messages (recipient, sender, enc_pub, message, signature, timestamp, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
const findReceipt = db.prepare('SELECT message_id FROM send_receipts WHERE replay_key = ? AND expires_at > ?');
const countQueued = db.prepare('SELECT count(*) AS n FROM inbox_messages WHERE recipient = ? AND (expires_at IS NULL OR expires_at > ?)');
const insertReceipt = db.prepare('INSERT INTO send_receipts (replay_key, message_id, timestamp, expires_at) VALUES (?, ?, ?, ?)');
const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM inbox_messages');
const TTL = 7 * 86_400;

interface Body {
  to: string;
  from_: string;
  enc_pub: string;
  message: string;
  signature: string;
}

const store = (b: Body, now: number): number => Number(insert.run(b.to, b.from_, b.enc_pub, b.message, b.signature, now, now + TTL).lastInsertRowid);
const storeWithReplay = db.transaction((b: Body, signature: Buffer, now: number): number => {
  const replayKey = createHash('sha256').update(signature).digest('base64');
  const receipt = findReceipt.get(replayKey, now) as { message_id: number } | undefined;
  if (receipt !== undefined) return receipt.message_id;
  countQueued.get(b.to, now);
  const id = store(b, now);
  insertReceipt.run(replayKey, id, now, now + TTL);
  return id;
});

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handleSend(raw: string, res: ServerResponse): void {
  let b: Body;
  try {
    b = JSON.parse(raw) as Body;
  } catch {
    return void reply(res, 400, { error_code: 'INVALID_JSON' });
  }
  if (
    typeof b.to !== 'string' ||
    typeof b.from_ !== 'string' ||
    typeof b.enc_pub !== 'string' ||
    typeof b.message !== 'string' ||
    typeof b.signature !== 'string'
  ) {
    return void reply(res, 400, { error_code: 'INVALID_BODY' });
  }
  const publicKey = Buffer.from(b.from_, 'hex');
  const signature = Buffer.from(b.signature, 'base64');
  const message = Buffer.from(b.message, 'base64');
  if (publicKey.length !== 32 || signature.length !== 64 || !sodium.crypto_sign_verify_detached(signature, message, publicKey)) {
    return void reply(res, 400, { error_code: 'SIGNATURE_INVALID' });
  }
  const now = Date.now() / 1000;
  const id = mode === 'replay' ? storeWithReplay(b, signature, now) : store(b, now);
  reply(res, 200, { status: 'ok', id, timestamp: now, duplicate: false });
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.method === 'POST' && req.url === '/send') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handleSend(Buffer.concat(chunks).toString('utf8'), res));
    return;
  }
  if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok', queued_messages: countAll.get()?.n ?? 0 });
  reply(res, 404, { error_code: 'NOT_FOUND' });
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveUntilStopped(`http://127.0.0.1:${port}`, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
  });
});
