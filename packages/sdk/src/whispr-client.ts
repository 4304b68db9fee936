import { openSealed, seal, sign, verify } from './crypto.js';
import { fromBase64, fromHex, sha256Hex, toBase64, toHex } from './encoding.js';
import { openEncryptedFile, type ReceivedFile, storeEncryptedFile } from './encrypted-file.js';
import { encodeFileEnvelope, type FileEnvelope } from './file-envelope.js';
import type { GroupMessageItem } from './group-client.js';
import type { UploadBody } from './wire/attachments.js';
import type { TurnCredentials } from './wire/calls.js';
import { request, requestJson } from './http.js';
import type { Identity } from './keys.js';
import { AckBatcher } from './ack-batcher.js';
import { PushSubscription } from './push-subscription.js';

export type { ReceivedFile, TurnCredentials, UploadBody };

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

/**
 * A typed push frame: a group's new message or key version (docs/groups.md, Live events). Best
 * effort: the durable copy is the history. A later server may send other types: check `type`.
 */
export type PushEvent =
  | { type: 'group_message'; group_id: string; channel_id: string; message: GroupMessageItem }
  | { type: 'group_key_version'; group_id: string; key_version: number; reason: string };

export interface SendBody {
  to: string;
  from_: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp?: number;
}

export interface SendResult {
  status: 'ok';
  id: number;
  timestamp: number;
  duplicate: boolean;
}

/** An encrypted file as `sendFile` sent it: the message that carries its key, and the stored ciphertext's id. */
export interface SentFile extends SendResult {
  attachment_id: string;
}

/** A file encrypted and signed for one recipient, not sent yet (see `prepareFile`). */
export interface PreparedFile {
  upload: UploadBody;
  message: SendBody;
  envelope: FileEnvelope;
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
    return toHex(this.identity.encryption.publicKey);
  }

  get signingKey(): string {
    return toHex(this.identity.signing.publicKey);
  }

  /** Seals `plaintext` to `to` and signs the ciphertext, exactly as the original client does. */
  buildSend(to: string, plaintext: Uint8Array | string, timestamp?: number): SendBody {
    const ciphertext = seal(fromHex(to), plaintext);
    return {
      to,
      from_: this.signingKey,
      enc_pub: this.address,
      message: toBase64(ciphertext),
      signature: toBase64(sign(this.identity.signing, ciphertext)),
      ...(timestamp === undefined ? {} : { timestamp }),
    };
  }

  send(to: string, plaintext: Uint8Array | string): Promise<SendResult> {
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
  open(message: InboxMessage): { plaintext: Uint8Array; verified: boolean } {
    const ciphertext = fromBase64(message.message);
    const verified = verify(fromHex(message.from), ciphertext, fromBase64(message.signature));
    return { plaintext: openSealed(this.identity.encryption, ciphertext), verified };
  }

  /**
   * Sends a file end-to-end encrypted: the bytes go up encrypted under a fresh key and with no
   * name, and a sealed, signed message carries the key, name, size and hash to `to`.
   */
  async sendFile(to: string, bytes: Uint8Array, name: string, mime?: string): Promise<SentFile> {
    const prepared = await this.prepareFile(to, bytes, name, mime);
    const attachmentId = await this.uploadBody(prepared.upload);
    return { ...(await this.sendBody(prepared.message)), attachment_id: attachmentId };
  }

  /**
   * `sendFile` in two steps, for an outbox: the encrypted upload and the message carrying its key
   * are made and signed now, sent later (upload first). The attachment id is the ciphertext's
   * SHA-256, known before the upload, and sending either body again stores nothing twice.
   */
  async prepareFile(to: string, bytes: Uint8Array, name: string, mime?: string): Promise<PreparedFile> {
    let upload: UploadBody | undefined;
    const envelope = await storeEncryptedFile(bytes, name, mime, async (ciphertext) => {
      upload = await this.buildUpload(to, ciphertext, null);
      return upload.sha256;
    });
    return { upload: upload!, message: this.buildSend(to, encodeFileEnvelope(envelope)), envelope };
  }

  /** Fetches and decrypts the file a received envelope points at (see `fileEnvelopeOf`); throws if it does not match. */
  async downloadFile(envelope: FileEnvelope): Promise<ReceivedFile> {
    return openEncryptedFile(envelope, (await this.download(envelope.attachment_id)).bytes);
  }

  /** The original /upload body: the bytes as given (no encryption), signed, with their size and sha256. */
  async buildUpload(to: string, bytes: Uint8Array, name: string | null): Promise<UploadBody> {
    return {
      to,
      from_: this.signingKey,
      enc_pub: this.address,
      blob: toBase64(bytes),
      signature: toBase64(sign(this.identity.signing, bytes)),
      name,
      size: bytes.length,
      sha256: await sha256Hex(bytes),
    };
  }

  /**
   * The original client's upload: the server stores the bytes and the name as given. Prefer
   * `sendFile`, which encrypts both; this stays for peers that speak the original protocol.
   */
  async uploadRaw(to: string, bytes: Uint8Array, name: string | null): Promise<string> {
    return this.uploadBody(await this.buildUpload(to, bytes, name));
  }

  /** Posts an upload `buildUpload` (or `prepareFile`) made; returns the attachment id. */
  async uploadBody(body: UploadBody): Promise<string> {
    const { att_id } = await requestJson<{ att_id: string }>(this.baseUrl, 'POST', '/upload', { body });
    return att_id;
  }

  async download(attId: string): Promise<{ bytes: Uint8Array; name: string | null; from: string; size: number }> {
    const result = await requestJson<{ blob: string; name: string | null; from: string; size: number }>(this.baseUrl, 'GET', `/download/${attId}`, {
      query: { recipient: this.address },
      token: await this.tokenFor('x25519'),
    });
    return { bytes: fromBase64(result.blob), name: result.name, from: result.from, size: result.size };
  }

  async downloadRaw(attId: string): Promise<Uint8Array> {
    const response = await request(this.baseUrl, 'GET', `/download/raw/${attId}`, { query: { recipient: this.address }, token: await this.tokenFor('x25519') });
    return new Uint8Array(await response.arrayBuffer());
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
      body: { key: toHex(pair.publicKey), key_type: keyType },
    });
    const answer =
      keyType === 'ed25519'
        ? { signature: toBase64(sign(pair, fromBase64(challenge.nonce ?? ''))) }
        : { nonce: toBase64(openSealed(pair, fromBase64(challenge.sealed_nonce ?? ''))) };
    const issued = await requestJson<{ access_token: string; expires_in: number }>(this.baseUrl, 'POST', '/auth/token', {
      body: { challenge_id: challenge.challenge_id, ...answer },
    });
    this.tokens.set(keyType, { token: issued.access_token, expiresAt: Date.now() / 1000 + issued.expires_in });
    return issued.access_token;
  }

  /**
   * Push socket for this inbox: queued messages first, then live ones; reconnects with backoff.
   * With `acknowledge`, each message is acknowledged once `onMessage` (which may then return a
   * promise, e.g. of storing it) has settled without throwing; the server keeps the others and
   * pushes them again on the next connection, so a client that closes mid-way loses nothing (and
   * may see a message twice: keep it once, e.g. by its signature). The same socket carries typed
   * events (`group_message`, `group_key_version`): they go to `onEvent`, never to `onMessage` (a
   * group_message frame also has a `message` field).
   */
  subscribe(
    onMessage: (message: InboxMessage) => unknown,
    options: {
      path?: 'key' | 'query';
      acknowledge?: boolean;
      onOpen?: () => void;
      onClose?: (code: number, reason: string) => void;
      onEvent?: (event: PushEvent) => void;
    } = {},
  ): PushSubscription {
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    const acks = options.acknowledge === true ? new AckBatcher((ids) => subscription.send({ type: 'ack', ids })) : undefined;
    const subscription = new PushSubscription({
      url: async () => {
        const url = options.path === 'query' ? new URL(`/ws?recipient=${this.address}`, wsBase) : new URL(`/ws/${this.address}`, wsBase);
        const token = await this.tokenFor('x25519');
        if (token !== undefined) url.searchParams.set('token', token);
        if (acks !== undefined) url.searchParams.set('ack', '1');
        return url.toString();
      },
      onFrame: (frame) => {
        if (typeof frame !== 'object' || frame === null) return;
        if ('type' in frame && typeof frame.type === 'string') return void options.onEvent?.(frame as PushEvent);
        if (!('message' in frame)) return;
        const message = frame as InboxMessage;
        if (acks === undefined) return void onMessage(message);
        Promise.resolve()
          .then(() => onMessage(message))
          .then(
            () => acks.add(message.id),
            () => undefined, // not kept: left unacknowledged, so it comes again
          );
      },
      ...(options.onOpen === undefined ? {} : { onOpen: options.onOpen }),
      ...(options.onClose === undefined ? {} : { onClose: options.onClose }),
    });
    return subscription;
  }

  /** TURN credentials for calls; a server without a TURN relay answers 503 TURN_NOT_CONFIGURED (a WhisprError). */
  async turnCredentials(): Promise<TurnCredentials> {
    return requestJson<TurnCredentials>(this.baseUrl, 'GET', '/api/v1/turn-credentials', { token: await this.authenticate('x25519') });
  }

  /** A bearer token for this identity's X25519 key, or undefined for a client in 'none' mode. */
  token(): Promise<string | undefined> {
    return this.tokenFor('x25519');
  }

  private async tokenFor(keyType: KeyType): Promise<string | undefined> {
    return this.auth === 'none' ? undefined : this.authenticate(keyType);
  }
}
