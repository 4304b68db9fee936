// Child process: the bare baseline of the events phase. node:http + ws + the same SQLite row
// (better-sqlite3, WAL, synchronous=NORMAL, Whispr's own user_queue_events schema): one INSERT per
// POST /api/events (sequence from a per-recipient in-memory counter), the stored envelope pushed at
// once to the recipient's sockets on /ws/{user_id}, one DELETE per {"type":"ACK"}. No auth, no
// validation, no window, no redelivery, no rate limits: a floor to compare Whispr with.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { SQLITE_MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { serveUntilStopped } from './child.js';

const dataDir = process.env.BENCH_DATA_DIR;
if (dataDir === undefined) throw new Error('BENCH_DATA_DIR is required');

const db = new Database(join(dataDir, 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
for (const sql of SQLITE_MIGRATIONS) db.exec(sql);

const insert = db.prepare('INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
const remove = db.prepare('DELETE FROM user_queue_events WHERE recipient_id = ? AND event_id = ?');
const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM user_queue_events');
const TTL = 14 * 86_400;

const lastSeq = new Map<string, number>();
const sockets = new Map<string, Set<WebSocket>>();

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handleEvent(raw: string, res: ServerResponse): void {
  let e: { event_id?: string; recipient_id: string };
  try {
    e = JSON.parse(raw) as typeof e;
  } catch {
    return void reply(res, 400, { error_code: 'INVALID_JSON' });
  }
  const eventId = e.event_id ?? randomUUID();
  const seq = (lastSeq.get(e.recipient_id) ?? 0) + 1;
  lastSeq.set(e.recipient_id, seq);
  const now = Date.now() / 1000;
  // Stored as posted; the wire frame is the envelope with its sequence, as Whispr's.
  const body = raw.trimEnd();
  insert.run(e.recipient_id, seq, eventId, body, now, now + TTL);
  const frame = `${body.slice(0, -1)},"sequence":${seq}}`;
  const listening = sockets.get(e.recipient_id);
  if (listening !== undefined) for (const ws of listening) ws.send(frame);
  const delivered = listening !== undefined && listening.size > 0;
  reply(res, 200, { success: true, event_id: eventId, delivered, queued: !delivered });
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.method === 'POST' && req.url === '/api/events') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handleEvent(Buffer.concat(chunks).toString('utf8'), res));
    return;
  }
  if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok', queued_user_events: countAll.get()?.n ?? 0 });
  reply(res, 404, { error_code: 'NOT_FOUND' });
});
server.keepAliveTimeout = 60_000;

const USER_PATH = /^\/ws\/([^/?]+)$/;
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
server.on('upgrade', (req, socket, head) => {
  const raw = USER_PATH.exec(req.url ?? '')?.[1];
  if (raw === undefined) return void socket.destroy();
  const userId = decodeURIComponent(raw);
  wss.handleUpgrade(req, socket, head, (ws) => {
    let mine = sockets.get(userId);
    if (mine === undefined) {
      mine = new Set();
      sockets.set(userId, mine);
    }
    const joined = mine;
    joined.add(ws);
    ws.on('message', (data) => {
      let frame: { type?: unknown; event_id?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        return;
      }
      if (frame.type === 'ACK' && typeof frame.event_id === 'string') remove.run(userId, frame.event_id);
    });
    ws.once('close', () => joined.delete(ws));
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveUntilStopped(`http://127.0.0.1:${port}`, async () => {
    for (const mine of sockets.values()) for (const ws of mine) ws.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
  });
});
