import { parentPort, workerData } from 'node:worker_threads';
import { seal, sign, toBase64 } from 'whispr-sdk';
import type { BodyJob, BodyBatch } from './bodies.js';

/** Builds signed, sealed /send bodies [start, end) of a job; the bytes come back in one transferable buffer. */
function build(job: BodyJob): BodyBatch {
  const senders = job.senders.map((s) => ({ signPub: s.signPub, encPub: s.encPub, secret: Buffer.from(s.signSecret, 'hex') }));
  const chunks: Buffer[] = [];
  const signatures: string[] = [];
  const plaintext = Buffer.alloc(job.plaintextBytes, 0x61);
  for (let i = job.start; i < job.end; i++) {
    const sender = senders[i % senders.length]!;
    const to = job.recipients[recipientIndex(i, senders.length, job.recipients.length)]!;
    plaintext.write(`msg ${i} `, 0, 'latin1');
    const ciphertext = seal(Buffer.from(to, 'hex'), plaintext);
    const signature = toBase64(sign({ publicKey: Buffer.alloc(0), secretKey: sender.secret }, ciphertext));
    signatures.push(signature);
    chunks.push(Buffer.from(JSON.stringify({ to, from_: sender.signPub, enc_pub: sender.encPub, message: toBase64(ciphertext), signature })));
  }
  const all = Buffer.concat(chunks);
  const offsets = new Uint32Array(chunks.length + 1);
  let at = 0;
  chunks.forEach((c, k) => {
    offsets[k] = at;
    at += c.length;
  });
  offsets[chunks.length] = at;
  const bytes = new ArrayBuffer(all.length);
  new Uint8Array(bytes).set(all);
  return { start: job.start, bytes, offsets, signatures };
}

/** Sender i % S writes to recipient (i + 1 + floor(i / S)) % R: every sender reaches many recipients, never itself when R = S. */
function recipientIndex(i: number, senderCount: number, recipientCount: number): number {
  return (i + 1 + Math.floor(i / senderCount)) % recipientCount;
}

if (parentPort !== null && workerData !== null) {
  const batch = build(workerData as BodyJob);
  parentPort.postMessage(batch, [batch.bytes, batch.offsets.buffer as ArrayBuffer]);
}
