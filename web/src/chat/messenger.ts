import {
  callInviteOf,
  fileEnvelopeOf,
  type InboxMessage,
  type PushEvent,
  type PushSubscription,
  text,
  toHex,
  type WhisprClient,
  WhisprError,
} from 'whispr-sdk';
import type { IncomingCall } from '../calls/calls.js';
import { fileSize } from '../file-size.js';
import { isAddress } from '../fingerprint.js';
import type { SealedRecords } from '../storage/sealed-records.js';
import { changePassphrase } from '../storage/vault.js';
import { Downloads } from './downloads.js';
import { largestFile } from './file-limit.js';
import { byArrival, type ChatMessage, type Contact, type StoredRecord } from './records.js';
import { Retrier } from './retrier.js';

/** A refusal that sending again would not change (bad request, unknown recipient), unlike a lost connection, 5xx, 408 or 429. */
const isPermanent = (error: unknown): error is WhisprError =>
  error instanceof WhisprError && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status);

/** A received message's record key: its signature's hash, so a message pushed twice is stored once, and the clear key tells nothing. */
const incomingId = async (signature: string): Promise<string> =>
  `m:${toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(signature))))}`;

/**
 * Direct messages for one unlocked identity: contacts, history and the outbox, all kept sealed in
 * IndexedDB and in memory while unlocked; live delivery over the SDK's push socket (which reconnects
 * with backoff and signs in with a fresh key proof); sends retried until the server accepts them.
 * Fires 'change' whenever what the screen shows changed, 'call' (an IncomingCall) for a call
 * invitation, which is not kept in the history, and 'push-event' (a CustomEvent<PushEvent>) for
 * each typed event the socket carries (groups).
 */
export class Messenger extends EventTarget {
  connected = false;
  readonly downloads: Downloads;
  private readonly contactsByAddress = new Map<string, Contact>();
  private readonly messages = new Map<string, ChatMessage>();
  private readonly receiving = new Set<string>();
  private readonly outbox = new Retrier(() => this.flushOutbox());
  private seq = 0;
  private subscription: PushSubscription | undefined;
  private readonly kickOutbox = () => this.outbox.kick();
  /** Tells this browser's other tabs that the passphrase changed: their key no longer matches what is stored. */
  private readonly vaultChannel = new BroadcastChannel('whispr-vault');

  private constructor(
    readonly client: WhisprClient,
    private readonly records: SealedRecords<StoredRecord>,
  ) {
    super();
    this.downloads = new Downloads(client);
  }

  static async open(client: WhisprClient, records: SealedRecords<StoredRecord>): Promise<Messenger> {
    const messenger = new Messenger(client, records);
    for (const [id, record] of await records.all()) {
      if (record.kind === 'contact') messenger.contactsByAddress.set(record.contact.address, record.contact);
      else {
        messenger.messages.set(id, record.message);
        messenger.seq = Math.max(messenger.seq, record.message.seq);
      }
    }
    return messenger;
  }

  /** Connects the push socket (queued messages come first) and sends what the outbox holds. */
  start(): void {
    // Acknowledged once stored: a message pushed while the tab closes is pushed again next time.
    this.subscription = this.client.subscribe((message) => this.receive(message), {
      acknowledge: true,
      onOpen: () => {
        this.setConnected(true);
        this.outbox.kick();
      },
      onClose: () => this.setConnected(false),
      // Group events share this socket; whoever shows groups listens for 'push-event'.
      onEvent: (event) => this.dispatchEvent(new CustomEvent<PushEvent>('push-event', { detail: event })),
    });
    window.addEventListener('online', this.kickOutbox);
    // Another tab changed the passphrase: lock this one (a reload asks for the new passphrase) before it writes under the old key.
    this.vaultChannel.onmessage = () => location.reload();
    this.outbox.kick();
  }

  stop(): void {
    this.subscription?.close();
    this.outbox.stop();
    this.downloads.clear();
    this.vaultChannel.close();
    window.removeEventListener('online', this.kickOutbox);
  }

  get contacts(): Contact[] {
    return [...this.contactsByAddress.values()].sort((a, b) => (a.name || a.address).localeCompare(b.name || b.address));
  }

  contact(address: string): Contact | undefined {
    return this.contactsByAddress.get(address);
  }

  conversation(peer: string): ChatMessage[] {
    return [...this.messages.values()].filter((m) => m.peer === peer).sort(byArrival);
  }

  async addContact(address: string, name: string): Promise<Contact> {
    const key = address.trim().toLowerCase();
    if (!isAddress(key)) throw new Error('An address is 64 hexadecimal characters (an X25519 public key)');
    if (key === this.client.address) throw new Error('That is your own address');
    const existing = this.contactsByAddress.get(key);
    const contact: Contact =
      existing === undefined ? { id: `c:${crypto.randomUUID()}`, address: key, name: name.trim() } : { ...existing, name: name.trim() || existing.name };
    await this.saveContact(contact);
    return contact;
  }

  /** Seals and signs now, keeps it in the outbox (IndexedDB) and sends it as soon as the server can be reached. */
  send(peer: string, plaintext: string): Promise<void> {
    return this.enqueue({ peer, text: plaintext, body: this.client.buildSend(peer, plaintext) });
  }

  /**
   * Encrypts the file under a key of its own and signs both the upload and the message carrying
   * the key now; the outbox uploads first, then sends the message. Refused at once when larger
   * than the server takes.
   */
  async sendFile(peer: string, file: File): Promise<void> {
    const largest = largestFile();
    if (largest !== undefined && file.size > largest)
      throw new Error(`${file.name} is too large to send (${fileSize(file.size)}): this server takes files of up to ${largest} bytes (${fileSize(largest)})`);
    const prepared = await this.client.prepareFile(peer, new Uint8Array(await file.arrayBuffer()), file.name, file.type || undefined);
    await this.enqueue({ peer, text: '', file: prepared.envelope, body: prepared.message, upload: prepared.upload });
  }

  /** Seals this browser's identity and records under a new passphrase (the current one must be right). */
  async changePassphrase(current: string, next: string): Promise<void> {
    await changePassphrase(this.records.stores, current, next);
    this.vaultChannel.postMessage('passphrase changed');
  }

  private async enqueue(outgoing: Pick<ChatMessage, 'peer' | 'text' | 'file' | 'body' | 'upload'>): Promise<void> {
    const message: ChatMessage = { ...outgoing, direction: 'out', at: Date.now(), seq: ++this.seq, delivery: 'queued' };
    const id = `m:${crypto.randomUUID()}`;
    this.messages.set(id, message);
    await this.records.put(id, { kind: 'message', message });
    this.changed();
    this.outbox.kick();
  }

  /** Sends queued messages in the order written; false (try again later) at the first one the server could not take now. */
  private async flushOutbox(): Promise<boolean> {
    const queued = [...this.messages].filter(([, m]) => m.delivery === 'queued').sort(([, a], [, b]) => byArrival(a, b));
    for (const [id, message] of queued) {
      try {
        if (message.upload !== undefined) {
          await this.client.uploadBody(message.upload);
          delete message.upload; // the server has it: the sealed copy in IndexedDB can go
          await this.records.put(id, { kind: 'message', message });
        }
        await this.client.sendBody(message.body!);
        message.delivery = 'sent';
        delete message.body;
      } catch (error) {
        if (!isPermanent(error)) return false;
        message.delivery = 'failed';
        message.error = error.detail || error.errorCode;
        delete message.upload; // refused for good: no reason to keep the encrypted file
      }
      await this.records.put(id, { kind: 'message', message });
      this.changed();
    }
    return true;
  }

  private async receive(pushed: InboxMessage): Promise<void> {
    const at = Date.now();
    const seq = ++this.seq; // taken on arrival, before any await, so the order is the socket's
    if (this.receiving.has(pushed.signature)) return;
    this.receiving.add(pushed.signature);
    try {
      const id = await incomingId(pushed.signature);
      if (this.messages.has(id) || !isAddress(pushed.enc_pub)) return;
      let opened: ReturnType<WhisprClient['open']>;
      try {
        opened = this.client.open(pushed);
      } catch {
        return; // not sealed to this key
      }
      if (!opened.verified) return; // not signed by the key it names
      const keyChanged = await this.knowSender(pushed.enc_pub, pushed.from);
      const invite = callInviteOf(opened.plaintext);
      if (invite !== undefined) {
        const call: IncomingCall = { peer: pushed.enc_pub, invite, keyChanged };
        return void this.dispatchEvent(new CustomEvent('call', { detail: call }));
      }
      const file = fileEnvelopeOf(opened.plaintext);
      const message: ChatMessage = {
        peer: pushed.enc_pub,
        direction: 'in',
        ...(file === undefined ? { text: text(opened.plaintext) } : { text: '', file }),
        at,
        seq,
        ...(keyChanged ? { keyChanged } : {}),
      };
      this.messages.set(id, message);
      await this.records.put(id, { kind: 'message', message });
      this.changed();
    } finally {
      this.receiving.delete(pushed.signature);
    }
  }

  /** Adds someone who wrote first (unnamed) and pins the key that signed their first message; true if this one's key differs. */
  private async knowSender(address: string, signingKey: string): Promise<boolean> {
    const known = this.contactsByAddress.get(address);
    if (known?.signingKey !== undefined) return known.signingKey !== signingKey;
    await this.saveContact(known === undefined ? { id: `c:${crypto.randomUUID()}`, address, name: '', signingKey } : { ...known, signingKey });
    return false;
  }

  private async saveContact(contact: Contact): Promise<void> {
    this.contactsByAddress.set(contact.address, contact);
    await this.records.put(contact.id, { kind: 'contact', contact });
    this.changed();
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
