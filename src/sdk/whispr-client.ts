import { createHash } from 'node:crypto';
import { openSealed, seal, sign, verify } from './crypto.js';
import { request, requestJson } from './http.js';
import type { Identity } from './keys.js';
import { PushSubscription } from './push-subscription.js';

export interface InboxMessage {
  id: number;
  from: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp: number;
  /** Present on pushed frames. */
  to?: string;
}

export interface SendBody {
  to: string;
  from_: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp?: number;
}

export interface UploadBody {
  to: string;
  from_: string;
  enc_pub: string;
  blob: string;
  signature: string;
  name?: string | null;
  size: number;
  sha256: string;
}

export interface SendResult {
  status: 'ok';
  id: number;
  timestamp: number;
  duplicate: boolean;
}

export type KeyType = 'ed25519' | 'x25519';

export interface WhisprClientOptions {
  baseUrl: string;
  identity: Identity;
  /** 'token' (default) proves the key before inbox, push and download calls; 'none' speaks the original unauthenticated protocol. */
  auth?: 'token' | 'none';
}

const TOKEN_MARGIN_SECONDS = 30;

/** A Whispr client for the direct-message protocol, as the original desktop client speaks it plus key proofs. */
export class WhisprClient {
  readonly baseUrl: string;
  readonly identity: Identity;
  private readonly auth: 'token' | 'none';
  private readonly tokens = new Map<KeyType, { token: string; expiresAt: number }>();

  constructor(options: WhisprClientOptions) {
    this.baseUrl = options.baseUrl;
    this.identity = options.identity;
    this.auth = options.auth ?? 'token';
  }

  /** The inbox address: the X25519 public key in hex. */
  get address(): string {
    return this.identity.encryption.publicKey.toString('hex');
  }

  get signingKey(): string {
    return this.identity.signing.publicKey.toString('hex');
  }

  /** Seals `plaintext` to `to` and signs the ciphertext, exactly as the original client does. */
  buildSend(to: string, plaintext: Buffer | string, timestamp?: number): SendBody {
    const ciphertext = seal(Buffer.from(to, 'hex'), plaintext);
    return {
      to,
      from_: this.signingKey,
      enc_pub: this.address,
      message: ciphertext.toString('base64'),
      signature: sign(this.identity.signing, ciphertext).toString('base64'),
      ...(timestamp === undefined ? {} : { timestamp }),
    };
  }

  send(to: string, plaintext: Buffer | string): Promise<SendResult> {
    return this.sendBody(this.buildSend(to, plaintext));
  }

  sendBody(body: SendBody): Promise<SendResult> {
    return requestJson<SendResult>(this.baseUrl, 'POST', '/send', { body });
  }

  /** Fetches and removes everything queued for this identity. */
  async fetchInbox(since = 0): Promise<InboxMessage[]> {
    const { messages } = await requestJson<{ messages: InboxMessage[] }>(this.baseUrl, 'GET', `/inbox/${this.address}`, {
      query: { since },
      token: await this.tokenFor('x25519'),
    });
    return messages;
  }

  /** Verifies the sender's signature and opens the sealed box. */
  open(message: InboxMessage): { plaintext: Buffer; verified: boolean } {
    const ciphertext = Buffer.from(message.message, 'base64');
    const verified = verify(Buffer.from(message.from, 'hex'), ciphertext, Buffer.from(message.signature, 'base64'));
    return { plaintext: openSealed(this.identity.encryption, ciphertext), verified };
  }

  /** The /upload body for `to`: the raw bytes signed, with their size and sha256, as the original client sends them. */
  buildUpload(to: string, bytes: Buffer, name: string): UploadBody {
    return {
      to,
      from_: this.signingKey,
      enc_pub: this.address,
      blob: bytes.toString('base64'),
      signature: sign(this.identity.signing, bytes).toString('base64'),
      name,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  /** Uploads an attachment for `to` (bytes as given; seal them first for confidentiality). */
  async upload(to: string, bytes: Buffer, name: string): Promise<string> {
    const { att_id } = await requestJson<{ att_id: string }>(this.baseUrl, 'POST', '/upload', { body: this.buildUpload(to, bytes, name) });
    return att_id;
  }

  async download(attId: string): Promise<{ bytes: Buffer; name: string | null; from: string; size: number }> {
    const result = await requestJson<{ blob: string; name: string | null; from: string; size: number }>(this.baseUrl, 'GET', `/download/${attId}`, {
      query: { recipient: this.address },
      token: await this.tokenFor('x25519'),
    });
    return { bytes: Buffer.from(result.blob, 'base64'), name: result.name, from: result.from, size: result.size };
  }

  async downloadRaw(attId: string): Promise<Buffer> {
    const response = await request(this.baseUrl, 'GET', `/download/raw/${attId}`, { query: { recipient: this.address }, token: await this.tokenFor('x25519') });
    return Buffer.from(await response.arrayBuffer());
  }

  /**
   * Proves one of this identity's keys: signs the nonce (Ed25519) or opens the sealed nonce
   * (X25519). Returns a bearer token, cached until shortly before it expires.
   */
  async authenticate(keyType: KeyType = 'x25519'): Promise<string> {
    const cached = this.tokens.get(keyType);
    if (cached !== undefined && cached.expiresAt > Date.now() / 1000 + TOKEN_MARGIN_SECONDS) return cached.token;
    const pair = keyType === 'x25519' ? this.identity.encryption : this.identity.signing;
    const challenge = await requestJson<{ challenge_id: string; nonce?: string; sealed_nonce?: string }>(this.baseUrl, 'POST', '/auth/challenge', {
      body: { key: pair.publicKey.toString('hex'), key_type: keyType },
    });
    const answer =
      keyType === 'ed25519'
        ? { signature: sign(pair, Buffer.from(challenge.nonce ?? '', 'base64')).toString('base64') }
        : { nonce: openSealed(pair, Buffer.from(challenge.sealed_nonce ?? '', 'base64')).toString('base64') };
    const issued = await requestJson<{ access_token: string; expires_in: number }>(this.baseUrl, 'POST', '/auth/token', {
      body: { challenge_id: challenge.challenge_id, ...answer },
    });
    this.tokens.set(keyType, { token: issued.access_token, expiresAt: Date.now() / 1000 + issued.expires_in });
    return issued.access_token;
  }

  /** Push socket for this inbox: queued messages first, then live ones; reconnects with backoff. */
  subscribe(
    onMessage: (message: InboxMessage) => void,
    options: { path?: 'key' | 'query'; onOpen?: () => void; onClose?: (code: number, reason: string) => void } = {},
  ): PushSubscription {
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    return new PushSubscription({
      url: async () => {
        const url = options.path === 'query' ? new URL(`/ws?recipient=${this.address}`, wsBase) : new URL(`/ws/${this.address}`, wsBase);
        const token = await this.tokenFor('x25519');
        if (token !== undefined) url.searchParams.set('token', token);
        return url.toString();
      },
      onFrame: (frame) => {
        if (typeof frame === 'object' && frame !== null && 'message' in frame) onMessage(frame as InboxMessage);
      },
      ...(options.onOpen === undefined ? {} : { onOpen: options.onOpen }),
      ...(options.onClose === undefined ? {} : { onClose: options.onClose }),
    });
  }

  /** A bearer token for this identity's X25519 key, or undefined for a client in 'none' mode. */
  token(): Promise<string | undefined> {
    return this.tokenFor('x25519');
  }

  private async tokenFor(keyType: KeyType): Promise<string | undefined> {
    return this.auth === 'none' ? undefined : this.authenticate(keyType);
  }
}
