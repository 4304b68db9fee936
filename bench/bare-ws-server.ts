// Child process: the bare `ws` baseline of the rooms phase, the physical limit of a relay here. A
// client's first text frame is its join ({"payload":{"roomId"}}); every frame (the join included) is
// written as is to the other members of its room. No validation, ids, limits or heartbeat.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveUntilStopped } from './child.js';

const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false, maxPayload: 65_536 });
wss.on('connection', (ws) => {
  let room: Set<WebSocket> | undefined;
  ws.on('error', () => ws.terminate());
  ws.on('message', (data: Buffer, isBinary) => {
    if (room === undefined) {
      const id = String((JSON.parse(data.toString()) as { payload?: { roomId?: unknown } }).payload?.roomId);
      const joined = rooms.get(id) ?? new Set<WebSocket>();
      rooms.set(id, joined);
      joined.add(ws);
      ws.once('close', () => joined.delete(ws) && joined.size === 0 && rooms.delete(id));
      room = joined;
    }
    for (const peer of room) if (peer !== ws) peer.send(data, { binary: isBinary });
  });
});
wss.once('listening', () => {
  const { port } = wss.address() as AddressInfo;
  serveUntilStopped(`ws://127.0.0.1:${port}/`, async () => {
    for (const room of rooms.values()) for (const ws of room) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});
