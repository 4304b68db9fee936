import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { OwnMember, Roster } from './roster.js';

/** What groups spread over nodes (rooms, calls) run on: the bus carries frames between nodes, the roster knows every member. */
export interface GroupCluster {
  bus: MessageBus;
  roster: Roster;
}

/** How the owner of the groups (rooms, calls) is told what the other nodes did. */
export interface GroupHooks<M> {
  /** A frame another node broadcast: for every member of `group` on this node. */
  deliver(group: string, frame: string): void;
  /** Members that are gone without saying so (their node died): the data stored with each. */
  departed(group: string, data: string[]): void;
  /** Members of this node the roster had lost (this node was taken for dead) and lists again. */
  restored(group: string, members: M[]): void;
  /** A notice another node sent about the whole group (calls: the call timed out). */
  notice?(group: string, notice: string): void;
}

interface Unsent {
  group: string;
  member: string;
  announce: string | undefined;
}

interface LinkedGroup<M> {
  members: Map<M, OwnMember>;
  /** Settles once the group's channel is subscribed. */
  subscription: Promise<Unsubscribe>;
}

/** What travels on a group's channel: `o` the origin node, and a frame `f` for every member or a notice `n` about the group. */
interface Envelope {
  o: string;
  f?: string;
  n?: string;
}

/**
 * This node's side of groups whose members are spread over nodes. The owner keeps its own members
 * and writes to them; the link holds the group's bus channel (`<namespace>:<id>`) while this node
 * has members in it, lists them in the shared roster, publishes the owner's broadcasts to the other
 * nodes (a frame encoded once, tagged with this node so it is not delivered here twice), and sweeps
 * the roster for members of dead nodes.
 */
export class GroupLink<M> {
  private readonly groups = new Map<string, LinkedGroup<M>>();
  /** Leaves Redis did not take: sent again before the next sweep (with the data of members whose departure is to be told again). */
  private readonly unsent: Unsent[] = [];
  private readonly sweeper: NodeJS.Timeout | undefined;
  private serial = 0;
  private failing = false;
  /** After close (shutdown) nothing goes out: the roster's own close hands what is left to the other nodes' sweeps. */
  private closed = false;

  constructor(
    private readonly cluster: GroupCluster,
    private readonly namespace: string,
    private readonly hooks: GroupHooks<M>,
    private readonly onError: (err: unknown) => void,
  ) {
    const every = cluster.roster.sweepIntervalMs;
    if (every !== undefined) {
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  /**
   * Lists `ref` in `group` unless the group has `cap` members on all nodes, or a live member's data
   * starts with `unique` (when given); resolves with the data of the members already there (oldest
   * first), undefined when the group is full, or 'taken'.
   */
  async join(group: string, ref: M, data: string, cap: number, unique?: string): Promise<string[] | undefined | 'taken'> {
    const linked = this.link(group);
    const membership: OwnMember = { member: (++this.serial).toString(36), data, settled: false };
    linked.members.set(ref, membership);
    let taken = false;
    try {
      // Subscribed before listed: once the others can see this member, their broadcasts reach it.
      await linked.subscription;
      const result = await this.cluster.roster.join(this.channel(group), membership.member, data, cap, unique);
      if (result.departed.length > 0)
        this.hooks.departed(
          group,
          result.departed.map((e) => e.data),
        );
      if (result.admitted) {
        membership.settled = true;
        return result.present.map((e) => e.data);
      }
      taken = result.taken;
    } catch (err) {
      this.unlink(group, linked, ref);
      // The script may have run with only its answer lost: a leave, sent again until Redis takes it.
      this.unlist({ group, member: membership.member, announce: undefined });
      throw err;
    }
    this.unlink(group, linked, ref);
    return taken ? 'taken' : undefined;
  }

  /** Resolves once Redis took the leave, or it was queued for the next sweep (an outage). */
  leave(group: string, ref: M): Promise<void> {
    const linked = this.groups.get(group);
    const membership = linked?.members.get(ref);
    if (linked === undefined || membership === undefined) return Promise.resolve();
    this.unlink(group, linked, ref);
    return this.unlist({ group, member: membership.member, announce: membership.data });
  }

  /** Sends a frame to the members of `group` on the other nodes. */
  publish(group: string, frame: string): void {
    this.send(group, { o: this.cluster.roster.nodeId, f: frame });
  }

  /** Sends a notice about `group` to the other nodes. */
  notify(group: string, notice: string): void {
    this.send(group, { o: this.cluster.roster.nodeId, n: notice });
  }

  /** Stops sweeping and drops the channels; the roster's own close tells the other nodes this one is gone. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const linked of this.groups.values()) this.unsubscribe(linked);
    this.groups.clear();
  }

  private channel(group: string): string {
    return `${this.namespace}:${group}`;
  }

  private send(group: string, envelope: Envelope): void {
    if (this.closed) return;
    this.cluster.bus.publish(this.channel(group), envelope).then(this.recovered, this.failed);
  }

  /** An outage is reported once, not for every frame and leave, until Redis takes a write again. */
  private readonly failed = (err: unknown): void => {
    if (!this.failing) this.onError(err);
    this.failing = true;
  };

  private readonly recovered = (): void => {
    this.failing = false;
  };

  private link(group: string): LinkedGroup<M> {
    let linked = this.groups.get(group);
    if (linked === undefined) {
      linked = { members: new Map(), subscription: this.cluster.bus.subscribe(this.channel(group), (payload) => this.receive(group, payload)) };
      // A failed subscription fails the joins waiting for it; nobody else awaits it.
      linked.subscription.catch(() => undefined);
      this.groups.set(group, linked);
    }
    return linked;
  }

  private unlink(group: string, linked: LinkedGroup<M>, ref: M): void {
    linked.members.delete(ref);
    if (linked.members.size > 0 || this.groups.get(group) !== linked) return;
    this.groups.delete(group);
    this.unsubscribe(linked);
  }

  private unsubscribe(linked: LinkedGroup<M>): void {
    linked.subscription.then((unsubscribe) => unsubscribe()).catch(() => undefined);
  }

  /**
   * A leave Redis did not take is sent again with the next sweep; once taken, the departure is told
   * again (the owner's broadcast most likely failed with it; a second userLeft does no harm).
   */
  private unlist(leave: Unsent, retried = false): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.cluster.roster.leave(this.channel(leave.group), leave.member).then(
      () => {
        this.recovered();
        if (retried && leave.announce !== undefined) this.hooks.departed(leave.group, [leave.announce]);
      },
      (err: unknown) => {
        this.unsent.push(leave);
        this.failed(err);
      },
    );
  }

  private receive(group: string, payload: unknown): void {
    const envelope = payload as Envelope;
    if (envelope === null || typeof envelope !== 'object' || envelope.o === this.cluster.roster.nodeId) return;
    if (typeof envelope.f === 'string') this.hooks.deliver(group, envelope.f);
    else if (typeof envelope.n === 'string') this.hooks.notice?.(group, envelope.n);
  }

  /** One round: the leaves Redis did not take, then every group this node has members in. */
  private sweep(): void {
    for (const leave of this.unsent.splice(0)) this.unlist(leave, true);
    const rounds = [...this.groups].map(async ([group, linked]) => {
      const own = [...linked.members.values()].map(({ member, data, settled }) => ({ member, data, settled }));
      const { departed, restored } = await this.cluster.roster.sweep(this.channel(group), own);
      if (departed.length > 0)
        this.hooks.departed(
          group,
          departed.map((e) => e.data),
        );
      if (restored.length === 0) return;
      const back = new Set(restored.map((e) => e.member));
      const members = [...(this.groups.get(group)?.members ?? [])].filter(([, m]) => back.has(m.member)).map(([ref]) => ref);
      if (members.length > 0) this.hooks.restored(group, members);
    });
    void Promise.allSettled(rounds).then((results) => {
      const failure = results.find((r) => r.status === 'rejected');
      if (failure === undefined) this.recovered();
      else this.failed(failure.reason);
    });
  }
}
