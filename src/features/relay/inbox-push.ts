import type { MessageBus, Unsubscribe } from '../../bus/message-bus.js';
import type { InboxStore, QueuedMessage } from './inbox-store.js';
import { userChannel, type PushFrameEvent } from '../../push/user-channel.js';
import type { DirectMessageEvent } from './relay-service.js';

/** A live push connection; `send` resolves true once the frame was handed to the socket. */
export interface PushTarget {
  send(frame: string): Promise<boolean>;
  /**
   * Present on a socket that acknowledges (`?ack=1`): the ids it was given and has not acknowledged.
   * They stay leased (hidden from /inbox) until acknowledged, and go back to the queue when it closes.
   */
  readonly unacked?: Set<number>;
}

/** What became of one leased message: a plain socket took it, only acknowledging sockets did, or none. */
type Written = 'taken' | 'held' | 'failed';

export interface InboxPushDeps {
  inbox: InboxStore;
  bus: MessageBus;
  now: () => number;
  /** How long a message stays hidden from /inbox while a socket writes it. */
  leaseSeconds: number;
  onError: (err: unknown) => void;
}

interface KeySubscribers {
  targets: Set<PushTarget>;
  unsubscribe: Promise<Unsubscribe>;
}

const SWEEP_BATCH = 1000;

/** The Whispr push frame: the inbox item plus `to`, so a client can file copies of its own sends. */
export function pushFrame(m: QueuedMessage): string {
  return JSON.stringify({ id: m.id, from: m.from, enc_pub: m.enc_pub, message: m.message, signature: m.signature, timestamp: m.timestamp, to: m.recipient });
}

/**
 * Delivers queued direct messages to the push connections of this process. A message is leased
 * before it is written and removed only after at least one socket took it (or, on sockets that
 * acknowledge, once one acknowledged it), so it is never lost to a failed write or a client that
 * closed before keeping it, and never handed out twice by a concurrent /inbox fetch.
 */
export class InboxPush {
  private readonly byKey = new Map<string, KeySubscribers>();

  constructor(private readonly deps: InboxPushDeps) {}

  /** Registers a connection and flushes what is already queued for it. */
  async attach(key: string, target: PushTarget): Promise<void> {
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      const created: KeySubscribers = { targets: new Set(), unsubscribe: Promise.resolve(async () => {}) };
      created.unsubscribe = this.deps.bus.subscribe(userChannel(key), (payload) => this.onEvent(key, created, payload as DirectMessageEvent | PushFrameEvent));
      this.byKey.set(key, created);
      entry = created;
    }
    entry.targets.add(target);
    await entry.unsubscribe;
    await this.deliver(key, [target], 'all');
  }

  detach(key: string, target: PushTarget): void {
    const entry = this.byKey.get(key);
    if (entry === undefined || !entry.targets.delete(target)) return;
    this.returnUnacked(entry, target);
    if (entry.targets.size > 0) return;
    this.byKey.delete(key);
    entry.unsubscribe.then((unsubscribe) => unsubscribe()).catch(this.deps.onError);
  }

  /** Removes from the queue the messages `target` was given and now acknowledges; other ids are ignored. */
  async acknowledge(key: string, target: PushTarget, ids: readonly number[]): Promise<void> {
    const mine = ids.filter((id) => target.unacked?.delete(id) === true);
    if (mine.length === 0) return;
    // Another socket of the key that was given the same message no longer holds it.
    for (const other of this.byKey.get(key)?.targets ?? []) for (const id of mine) other.unacked?.delete(id);
    await this.deps.inbox.remove(mine);
  }

  /**
   * Delivers again whatever is queued for this node's sockets. In a cluster a wake-up can be missed
   * (this node's Redis link was down while another node published) and a dead node's leases only
   * expire: a periodic sweep picks both up.
   */
  async sweep(): Promise<void> {
    const keys = [...this.byKey.keys()];
    for (let i = 0; i < keys.length; i += SWEEP_BATCH) {
      // One query per batch finds the few keys with something ready; only those are leased.
      for (const key of await this.deps.inbox.waiting(keys.slice(i, i + SWEEP_BATCH), this.deps.now())) {
        const entry = this.byKey.get(key);
        if (entry !== undefined) await this.deliver(key, [...entry.targets], 'all');
      }
    }
  }

  connectionCount(): number {
    let n = 0;
    for (const entry of this.byKey.values()) n += entry.targets.size;
    return n;
  }

  private onEvent(key: string, entry: KeySubscribers, event: DirectMessageEvent | PushFrameEvent): void {
    const targets = [...entry.targets];
    if (targets.length === 0) return;
    if (event.kind !== 'queued') {
      const frame = event.kind === 'copy' ? pushFrame(event.message) : JSON.stringify(event.frame);
      for (const target of targets) void target.send(frame);
      return;
    }
    this.deliver(key, targets, [event.message.id]).catch(this.deps.onError);
  }

  private async deliver(key: string, targets: PushTarget[], ids: readonly number[] | 'all'): Promise<void> {
    const { inbox, now, leaseSeconds } = this.deps;
    const at = now();
    const leased = await inbox.lease(key, ids, at + leaseSeconds, at);
    if (leased.length === 0) return;
    const written = await Promise.all(leased.map((m) => this.writeToAny(targets, m)));
    const done = leased.filter((_, i) => written[i] === 'taken').map((m) => m.id);
    const failed = leased.filter((_, i) => written[i] === 'failed').map((m) => m.id);
    if (done.length > 0) await inbox.remove(done);
    if (failed.length > 0) await inbox.release(failed);
  }

  private async writeToAny(targets: PushTarget[], message: QueuedMessage): Promise<Written> {
    const frame = pushFrame(message);
    const results = await Promise.all(targets.map((t) => t.send(frame)));
    const took = targets.filter((_, i) => results[i]);
    if (took.length === 0) return 'failed';
    if (took.some((t) => t.unacked === undefined)) return 'taken';
    for (const t of took) t.unacked?.add(message.id);
    return 'held';
  }

  /** A closing socket's unacknowledged messages go back to the queue, unless another open socket of the key holds them too. */
  private returnUnacked(entry: KeySubscribers, target: PushTarget): void {
    if (target.unacked === undefined || target.unacked.size === 0) return;
    const held = new Set([...entry.targets].flatMap((t) => [...(t.unacked ?? [])]));
    const ids = [...target.unacked].filter((id) => !held.has(id));
    target.unacked.clear();
    if (ids.length > 0) this.deps.inbox.release(ids).catch(this.deps.onError);
  }
}
