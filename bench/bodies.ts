import { availableParallelism } from 'node:os';
import { generateIdentity, type Identity, toHex } from 'whispr-sdk';
import { tsWorker } from './tsx-loader.js';

/** What a body worker needs: hex keys only, so the job crosses the thread boundary as plain data. */
export interface BodyJob {
  start: number;
  end: number;
  plaintextBytes: number;
  senders: { signPub: string; signSecret: string; encPub: string }[];
  /** X25519 inbox addresses, hex. */
  recipients: string[];
}

export interface BodyBatch {
  start: number;
  bytes: ArrayBuffer;
  offsets: Uint32Array;
  signatures: string[];
}

export function generateIdentities(count: number): Identity[] {
  return Array.from({ length: count }, () => generateIdentity());
}

/**
 * Pre-built, distinct, signed and sealed /send bodies (body i: sender i mod S, see recipientIndex).
 * All crypto happens in grow(), on worker threads, between load runs; the load generator only hands
 * the bytes out.
 */
export class BodyPool {
  readonly bodies: Buffer[] = [];
  /** signature (base64, as in the body and in push frames) -> body index */
  readonly bySignature = new Map<string, number>();
  private totalBytes = 0;
  private readonly senders: BodyJob['senders'];
  private readonly recipients: string[];

  constructor(
    senders: Identity[],
    recipients: Identity[],
    private readonly plaintextBytes: number,
  ) {
    this.senders = senders.map((s) => ({
      signPub: toHex(s.signing.publicKey),
      signSecret: toHex(s.signing.secretKey),
      encPub: toHex(s.encryption.publicKey),
    }));
    this.recipients = recipients.map((r) => toHex(r.encryption.publicKey));
  }

  get size(): number {
    return this.bodies.length;
  }

  get averageBytes(): number {
    return this.size === 0 ? 0 : Math.round(this.totalBytes / this.size);
  }

  /** Grows the pool to at least `target` bodies; returns how many were built. */
  async growTo(target: number): Promise<number> {
    const from = this.size;
    if (target <= from) return 0;
    const threads = Math.max(1, Math.min(availableParallelism(), 8));
    const per = Math.ceil((target - from) / threads);
    const jobs: BodyJob[] = [];
    for (let start = from; start < target; start += per) {
      jobs.push({ start, end: Math.min(target, start + per), plaintextBytes: this.plaintextBytes, senders: this.senders, recipients: this.recipients });
    }
    const batches = await Promise.all(jobs.map(runJob));
    for (const batch of batches) {
      const all = Buffer.from(batch.bytes);
      batch.signatures.forEach((signature, k) => {
        const body = all.subarray(batch.offsets[k] ?? 0, batch.offsets[k + 1] ?? 0);
        this.bodies[batch.start + k] = body;
        this.bySignature.set(signature, batch.start + k);
        this.totalBytes += body.length;
      });
    }
    if (this.bySignature.size !== this.size) throw new Error(`bodies are not all distinct: ${this.bySignature.size} signatures for ${this.size} bodies`);
    return target - from;
  }
}

function runJob(job: BodyJob): Promise<BodyBatch> {
  return new Promise((resolve, reject) => {
    const worker = tsWorker(new URL('./body-worker.ts', import.meta.url), { workerData: job });
    worker.once('message', (batch: BodyBatch) => resolve(batch));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`body worker exited with code ${code}`));
    });
  });
}
