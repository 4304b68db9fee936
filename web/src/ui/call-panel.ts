import type { CallSession, CallState } from '../calls/call-session.js';
import type { Calls } from '../calls/calls.js';
import { h } from '../dom.js';

function stateText(call: CallSession, name: string): string {
  const kind = call.video ? 'video call' : 'voice call';
  const texts: Record<CallState, string> = {
    waiting: '',
    incoming: `${name} is calling you (${kind})`,
    calling: `Calling ${name}…`,
    ringing: `Ringing ${name}…`,
    connecting: 'Connecting…',
    connected: `Connected (${kind})`,
    ended: `Call ended: ${call.endReason}`,
  };
  return texts[call.state];
}

/** Shows a MediaStream in a <video> (attached once: re-attaching restarts playback). */
function show(video: HTMLVideoElement, stream: MediaStream | undefined): void {
  if (video.srcObject !== (stream ?? null)) video.srcObject = stream ?? null;
}

/** Call and Video call for the conversation's person (`peer()`), disabled while a call goes on. */
export function callButtonsFor(calls: Calls, peer: () => string | undefined): HTMLElement {
  const ring = (video: boolean) => () => {
    const address = peer();
    if (address !== undefined) calls.start(address, video);
  };
  const buttons = [h('button', { type: 'button', onclick: ring(false) }, 'Call'), h('button', { type: 'button', onclick: ring(true) }, 'Video call')];
  calls.addEventListener('change', () => {
    for (const button of buttons) button.disabled = calls.busy;
  });
  return h('div', { class: 'call-buttons', hidden: true }, ...buttons);
}

/**
 * The call going on, above every section: an incoming call's Accept / Decline, then both videos
 * (your own muted) with Hang up, and how the call ended. Hidden when there is no call.
 */
export function callPanel(calls: Calls, nameOf: (peer: string) => string): HTMLElement {
  const title = h('h2', { id: 'call-title' });
  const state = h('p', { role: 'status', class: 'call-state' });
  const warning = h('p', { class: 'warning' }, 'This call comes signed by a different key than this contact used before: check their fingerprint.');
  const remote = h('video', { class: 'remote-video', autoplay: true, playsinline: true, 'aria-label': 'Their video' });
  const local = h('video', { class: 'local-video', autoplay: true, playsinline: true, 'aria-label': 'Your video' });
  local.muted = true; // your own microphone must not play back
  const videos = h('div', { class: 'call-videos' }, remote, local);
  const accept = h('button', { type: 'button', class: 'accept', onclick: () => calls.current?.accept() }, 'Accept');
  const decline = h('button', { type: 'button', class: 'danger', onclick: () => calls.current?.decline() }, 'Decline');
  const hangUp = h('button', { type: 'button', class: 'danger', onclick: () => calls.current?.hangUp() }, 'Hang up');
  const close = h('button', { type: 'button', onclick: () => calls.dismiss() }, 'Close');
  const actions = h('div', { class: 'call-actions' }, accept, decline, hangUp, close);
  const panel = h('section', { class: 'call', 'aria-labelledby': 'call-title', hidden: true }, title, state, warning, videos, actions);

  const render = () => {
    const call = calls.current;
    panel.hidden = call === undefined || call.state === 'waiting';
    const live = call !== undefined && call.state !== 'ended' && call.state !== 'incoming';
    show(remote, live ? call.remoteStream : undefined);
    show(local, live ? call.localStream : undefined);
    if (call === undefined) return;
    const name = nameOf(call.peer);
    title.textContent = `${call.video ? 'Video call' : 'Voice call'} with ${name}`;
    state.textContent = stateText(call, name);
    state.dataset.state = call.state;
    warning.hidden = !call.keyChanged;
    videos.hidden = !call.video || !live; // a voice call's sound plays from the hidden <video>
    accept.hidden = decline.hidden = call.state !== 'incoming';
    hangUp.hidden = !live;
    close.hidden = call.state !== 'ended';
  };
  calls.addEventListener('change', render);
  return panel;
}
