import type { CallInvite } from './call-invite.js';
import { fromBase64, text, toBase64, utf8 } from './encoding.js';
import { sodium } from './sodium.js';
import type { WhisprClient } from './whispr-client.js';

/** Who made the invitation (caller) and who received it (callee). */
export type CallRole = 'caller' | 'callee';

/** What the two sides of a call tell each other, end to end: the server relays it as an opaque payload. */
export type CallSignal =
  | { kind: 'ringing' | 'decline' | 'busy' | 'hangup' }
  | { kind: 'offer' | 'answer'; sdp: string }
  | { kind: 'candidate'; candidate: string; sdpMid: string | null; sdpMLineIndex: number | null };

export interface CallSignalingHandlers {
  /** A signal from the other side that opened under the call's key. */
  onSignal(signal: CallSignal): void;
  /** The other side joined the call. */
  onPeerJoin?(): void;
  /** The other side left the call or lost its connection. */
  onPeerLeave?(): void;
  /** A refusal from the server (CALL_FULL, CALL_TIMEOUT, ...): the socket stays open. */
  onError?(code: string, detail: string): void;
  /** The socket closed (not by `leave`). */
  onClose?(code: number): void;
}

const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const OTHER: Record<CallRole, CallRole> = { caller: 'callee', callee: 'caller' };
const KINDS = new Set(['ringing', 'decline', 'busy', 'hangup', 'offer', 'answer', 'candidate']);

/** Binds a signal to its call and its sender's role, so none can be moved to another call or reflected back to its sender. */
const associatedData = (callId: string, from: CallRole) => utf8(`whispr-call|${callId}|${from}`);

/** The signal in an opened payload, if it is one. */
function signalOf(value: unknown): CallSignal | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Record<string, unknown>;
  if (typeof s.kind !== 'string' || !KINDS.has(s.kind)) return undefined;
  if ((s.kind === 'offer' || s.kind === 'answer') && typeof s.sdp !== 'string') return undefined;
  if (s.kind === 'candidate' && typeof s.candidate !== 'string') return undefined;
  return value as CallSignal;
}

/**
 * One side of a 1:1 call on the server's `/signal` socket (the dialect of crypto-messager-caller:
 * join, signal, leave with a call_id). Each signal travels as `{"enc": base64(nonce ‖ ciphertext)}`,
 * XChaCha20-Poly1305 under the invitation's key: the server sees neither SDP nor candidates, and a
 * payload that does not open (from anyone but the other side) is dropped.
 */
export class CallSignaling {
  private readonly key: Uint8Array;
  private left = false;

  private constructor(
    private readonly socket: WebSocket,
    private readonly invite: CallInvite,
    private readonly role: CallRole,
    private readonly handlers: CallSignalingHandlers,
  ) {
    this.key = fromBase64(invite.key);
    socket.addEventListener('message', (event) => this.received(event.data));
    socket.addEventListener('close', (event) => {
      if (!this.left) handlers.onClose?.(event.code);
    });
  }

  /** Opens /signal with a key proof (when the client uses tokens) and joins the invitation's call. */
  static async join(client: WhisprClient, invite: CallInvite, role: CallRole, handlers: CallSignalingHandlers): Promise<CallSignaling> {
    const url = new URL('/signal', client.baseUrl.replace(/^http/, 'ws'));
    const token = await client.token();
    if (token !== undefined) url.searchParams.set('token', token);
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('close', (event) => reject(new Error(`the signaling socket closed (${event.code})`)), { once: true });
    });
    const signaling = new CallSignaling(socket, invite, role, handlers);
    socket.send(JSON.stringify({ type: 'join', call_id: invite.call_id }));
    return signaling;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Encrypts and sends one signal; false when the socket is no longer open. */
  send(signal: CallSignal): boolean {
    if (!this.isOpen) return false;
    const nonce = sodium.randombytes_buf(NONCE_BYTES);
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      utf8(JSON.stringify(signal)),
      associatedData(this.invite.call_id, this.role),
      null,
      nonce,
      this.key,
    );
    const enc = new Uint8Array(NONCE_BYTES + sealed.length);
    enc.set(nonce);
    enc.set(sealed, NONCE_BYTES);
    this.socket.send(JSON.stringify({ type: 'signal', call_id: this.invite.call_id, payload: { enc: toBase64(enc) } }));
    return true;
  }

  /** Leaves the call and closes the socket (the other side gets peer-leave). */
  leave(): void {
    if (this.left) return;
    this.left = true;
    if (this.isOpen) this.socket.send(JSON.stringify({ type: 'leave', call_id: this.invite.call_id }));
    this.socket.close(1000);
  }

  private received(data: unknown): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(String(data)) as Record<string, unknown>;
    } catch {
      return;
    }
    const { handlers } = this;
    if (frame.type === 'peer-join') handlers.onPeerJoin?.();
    else if (frame.type === 'peer-leave') handlers.onPeerLeave?.();
    else if (frame.type === 'error') handlers.onError?.(String(frame.error_code), String(frame.detail));
    else if (frame.type === 'signal') {
      const signal = this.open(frame.payload);
      if (signal !== undefined) handlers.onSignal(signal);
    }
  }

  /** The signal in a payload from the other side, or undefined for anything that does not open under the call's key. */
  private open(payload: unknown): CallSignal | undefined {
    const enc = (payload as { enc?: unknown } | null)?.enc;
    if (typeof enc !== 'string') return undefined;
    try {
      const bytes = fromBase64(enc);
      const from = associatedData(this.invite.call_id, OTHER[this.role]);
      const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.subarray(NONCE_BYTES), from, bytes.subarray(0, NONCE_BYTES), this.key);
      return signalOf(JSON.parse(text(plain)));
    } catch {
      return undefined;
    }
  }
}
