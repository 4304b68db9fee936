import type { CallInvite } from 'whispr-sdk';
import type { Messenger } from '../chat/messenger.js';
import { CallSession } from './call-session.js';

/** An invitation found in a verified direct message. */
export interface IncomingCall {
  peer: string;
  invite: CallInvite;
  keyChanged: boolean;
}

/** An invitation older than this is left alone: the caller has given up long ago (it waited in the queue while this browser was away). */
const STALE_MS = 10 * 60_000;

/**
 * The browser's calls: at most one at a time. Invitations come from the messenger (they are
 * direct messages); one that arrives during a call is refused as busy. Fires 'change' when the call
 * shown changes or moves on.
 */
export class Calls extends EventTarget {
  current: CallSession | undefined;

  constructor(private readonly messenger: Messenger) {
    super();
    messenger.addEventListener('call', (event) => this.ring((event as CustomEvent<IncomingCall>).detail));
  }

  /** Whether a call is going on (an ended one may still be shown). */
  get busy(): boolean {
    return this.current !== undefined && this.current.state !== 'ended';
  }

  start(peer: string, video: boolean): void {
    if (this.busy) return;
    this.show(CallSession.outgoing(this.messenger.client, peer, video));
  }

  /** Takes an ended call off the screen. */
  dismiss(): void {
    if (this.busy) return;
    this.current = undefined;
    this.changed();
  }

  private ring({ peer, invite, keyChanged }: IncomingCall): void {
    if (Math.abs(Date.now() - invite.at) > STALE_MS) return;
    if (this.busy) return void CallSession.refuse(this.messenger.client, invite).catch(() => undefined);
    this.show(CallSession.incoming(this.messenger.client, peer, invite, keyChanged));
  }

  private show(session: CallSession): void {
    this.current = session;
    session.addEventListener('change', () => {
      // An invitation whose caller had already gone ends unseen.
      if (session.state === 'ended' && session.endReason === '' && this.current === session) this.current = undefined;
      this.changed();
    });
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
