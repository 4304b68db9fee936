import { type CallInvite, type CallRole, type CallSignal, CallSignaling, encodeCallInvite, newCallInvite, type WhisprClient } from 'whispr-sdk';

/**
 * waiting: an invitation arrived, the caller's offer not yet (nothing shown: the caller may have
 * given up already); incoming: ringing here, Accept or Decline; calling: the callee has not
 * answered the invitation yet; ringing: the callee's device rings.
 */
export type CallState = 'waiting' | 'incoming' | 'calling' | 'ringing' | 'connecting' | 'connected' | 'ended';

/** How long a caller waits for the callee's device to ring: past that, the callee is offline. */
const REACH_MS = 15_000;
/** How long a call rings before it counts as not answered. */
const ANSWER_MS = 60_000;
/** From the answer to a connection through the relay. */
const CONNECT_MS = 30_000;

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One 1:1 call from this browser: the invitation (a sealed, signed direct message), the SDK's
 * end-to-end encrypted signaling, and an RTCPeerConnection that only uses the server's TURN relay
 * (`iceTransportPolicy: 'relay'`), so neither side learns the other's IP address. Fires 'change'.
 */
export class CallSession extends EventTarget {
  state: CallState;
  /** Why the call ended, for the screen. */
  endReason = '';
  localStream: MediaStream | undefined;
  remoteStream: MediaStream | undefined;
  private signaling: CallSignaling | undefined;
  private pc: RTCPeerConnection | undefined;
  private offer: string | undefined;
  private readonly pendingCandidates: RTCIceCandidateInit[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly client: WhisprClient,
    /** The other person's address. */
    readonly peer: string,
    readonly invite: CallInvite,
    readonly role: CallRole,
    /** The invitation was signed by another key than this contact used before. */
    readonly keyChanged = false,
  ) {
    super();
    this.state = role === 'caller' ? 'calling' : 'waiting';
  }

  get video(): boolean {
    return this.invite.video;
  }

  /** Calls `peer`: camera and microphone, the relay's credentials, the call's socket, then the invitation. */
  static outgoing(client: WhisprClient, peer: string, video: boolean): CallSession {
    const session = new CallSession(client, peer, newCallInvite(video), 'caller');
    void session.guard(async () => {
      await session.preparePeerConnection();
      await session.join();
      await client.send(peer, encodeCallInvite(session.invite));
      session.endAfter(REACH_MS, 'Not reachable: they are offline or did not get the call');
    });
    return session;
  }

  /** An invitation from `peer`: joins the call and tells the caller it rings; shown once the caller's offer proves they still call. */
  static incoming(client: WhisprClient, peer: string, invite: CallInvite, keyChanged: boolean): CallSession {
    const session = new CallSession(client, peer, invite, 'callee', keyChanged);
    void session.guard(async () => {
      await session.join();
      session.signaling?.send({ kind: 'ringing' });
      session.endAfter(REACH_MS, 'no offer came');
    });
    return session;
  }

  /** Refuses an invitation at once: this browser is in another call. */
  static async refuse(client: WhisprClient, invite: CallInvite): Promise<void> {
    const signaling = await CallSignaling.join(client, invite, 'callee', { onSignal: () => undefined });
    signaling.send({ kind: 'busy' });
    signaling.leave();
  }

  accept(): void {
    if (this.state !== 'incoming' || this.offer === undefined) return;
    const offer = this.offer;
    this.setState('connecting');
    void this.guard(async () => {
      const pc = await this.preparePeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await this.addPendingCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      this.signaling?.send({ kind: 'answer', sdp: pc.localDescription?.sdp ?? '' });
      this.endAfter(CONNECT_MS, 'Could not connect through the relay');
    });
  }

  decline(): void {
    if (this.state !== 'incoming') return;
    this.signaling?.send({ kind: 'decline' });
    this.end('Declined');
  }

  hangUp(): void {
    if (this.state === 'ended') return;
    this.signaling?.send({ kind: 'hangup' });
    this.end('You hung up');
  }

  private async join(): Promise<void> {
    this.signaling = await CallSignaling.join(this.client, this.invite, this.role, {
      onSignal: (signal) => void this.guard(() => this.onSignal(signal)),
      onPeerLeave: () => this.end(this.state === 'incoming' ? 'Missed call' : 'The connection to them was lost'),
      onError: (_code, detail) => this.end(`The server ended the call: ${detail}`),
      onClose: () => this.end('The connection to the server was lost'),
    });
    if (this.state === 'ended') this.signaling.leave();
  }

  private async onSignal(signal: CallSignal): Promise<void> {
    switch (signal.kind) {
      case 'ringing':
        if (this.role !== 'caller' || this.state !== 'calling' || this.pc === undefined) return;
        this.setState('ringing');
        this.endAfter(ANSWER_MS, 'No answer');
        await this.pc.setLocalDescription(await this.pc.createOffer());
        this.signaling?.send({ kind: 'offer', sdp: this.pc.localDescription?.sdp ?? '' });
        return;
      case 'offer':
        if (this.role !== 'callee' || this.state !== 'waiting') return;
        this.offer = signal.sdp;
        this.setState('incoming');
        this.endAfter(ANSWER_MS, 'Missed call');
        return;
      case 'answer':
        if (this.role !== 'caller' || this.state !== 'ringing' || this.pc === undefined) return;
        this.setState('connecting');
        this.endAfter(CONNECT_MS, 'Could not connect through the relay');
        await this.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
        return this.addPendingCandidates();
      case 'candidate':
        this.pendingCandidates.push({ candidate: signal.candidate, sdpMid: signal.sdpMid, sdpMLineIndex: signal.sdpMLineIndex });
        return this.addPendingCandidates();
      case 'decline':
        return this.end('Declined');
      case 'busy':
        return this.end('Busy: they are in another call');
      case 'hangup':
        return this.end(this.state === 'incoming' ? 'Missed call' : 'They hung up');
    }
  }

  /** Candidates wait for the remote description (they may overtake it, or come before Accept). */
  private async addPendingCandidates(): Promise<void> {
    if (this.pc?.remoteDescription == null) return;
    for (const candidate of this.pendingCandidates.splice(0)) await this.pc.addIceCandidate(candidate);
  }

  /** Camera (for a video call) and microphone, and a peer connection through the server's TURN relay only. */
  private async preparePeerConnection(): Promise<RTCPeerConnection> {
    const [media, turn] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ audio: true, video: this.video }).catch((error: unknown) => {
        throw new Error(`No access to the ${this.video ? 'camera or microphone' : 'microphone'}: ${reasonOf(error)}`);
      }),
      this.client.turnCredentials(),
    ]);
    this.localStream = media;
    if (this.state === 'ended') {
      this.stopMedia(); // hung up while the browser asked for the camera
      throw new Error('the call ended');
    }
    const pc = new RTCPeerConnection({ iceServers: turn.ice_servers, iceTransportPolicy: 'relay' });
    this.pc = pc;
    for (const track of media.getTracks()) pc.addTrack(track, media);
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate !== null && candidate.candidate !== '')
        this.signaling?.send({ kind: 'candidate', candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    });
    pc.addEventListener('track', ({ streams }) => {
      this.remoteStream = streams[0];
      this.changed();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') {
        clearTimeout(this.timer);
        this.setState('connected');
      } else if (pc.connectionState === 'failed') this.end('The connection through the relay failed');
    });
    this.changed();
    return pc;
  }

  /** Ends the call unless it moved on within `ms` (a later call replaces the timer). */
  private endAfter(ms: number, reason: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(reason), ms);
  }

  /** Runs a step of the call; a failure ends it with the reason. */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.end(reasonOf(error));
    }
  }

  private end(reason: string): void {
    if (this.state === 'ended') return;
    clearTimeout(this.timer);
    // A call that never rang here (no offer came) ends unseen, whatever ended it.
    this.endReason = this.state === 'waiting' ? '' : reason;
    this.state = 'ended';
    this.signaling?.leave();
    this.pc?.close();
    this.stopMedia();
    this.changed();
  }

  private stopMedia(): void {
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
  }

  private setState(state: CallState): void {
    if (this.state === 'ended') return;
    this.state = state;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
