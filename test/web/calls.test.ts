/**
 * Whispr Web calls end to end: two people in two Chromium contexts with Chromium's fake camera and
 * microphone, the call forced through a real coturn (iceTransportPolicy 'relay') with credentials
 * from the server; the invitation, Accept, media both ways, Hang up; a declined call and a call to
 * someone offline end with a clear state.
 */
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumInstalled } from '../support/chromium.js';
import { type Coturn, coturnInstalled, startCoturn } from '../support/coturn.js';
import { addContact, createIdentity, useWebApp } from './web-kit.js';

const haveChromium = chromiumInstalled('test/web/calls.test.ts');
const haveCoturn = haveChromium && coturnInstalled('test/web/calls.test.ts');
/** Setting up a call through the relay, on a busy 2-core machine. */
const CALL = { timeout: 45_000 };

/** What one side's RTCPeerConnection says about its call. */
interface CallStats {
  policy: string | undefined;
  local: { type: string; address: string } | undefined;
  remote: { type: string; address: string } | undefined;
  /** inbound-rtp bytesReceived by kind. */
  received: Record<string, number>;
}

/** The little of the page's WebRTC API the code below runs in the page with (test files are typed without the DOM library). */
interface PagePeerConnection {
  getConfiguration(): { iceTransportPolicy?: string };
  getStats(): Promise<{ forEach(each: (report: Record<string, unknown>) => void): void }>;
}
interface PageGlobals {
  RTCPeerConnection: new (configuration?: unknown) => PagePeerConnection;
  peerConnections: PagePeerConnection[];
}

/** Keeps every RTCPeerConnection the page makes in peerConnections, so the test can read its configuration and stats. */
async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    const Native = page.RTCPeerConnection;
    page.peerConnections = [];
    page.RTCPeerConnection = class extends Native {
      constructor(configuration?: unknown) {
        super(configuration);
        page.peerConnections.push(this);
      }
    };
  });
}

/** The latest call's configuration, selected candidate pair and received bytes. */
const callStats = (page: Page): Promise<CallStats> =>
  page.evaluate(async () => {
    const pc = (globalThis as unknown as PageGlobals).peerConnections.at(-1)!;
    const reports = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((report: Record<string, unknown>) => {
      reports.set(report.id as string, report);
    });
    const all = [...reports.values()];
    const pairId = all.find((r) => r.type === 'transport')?.selectedCandidatePairId as string | undefined;
    const pair = pairId === undefined ? undefined : reports.get(pairId);
    const candidate = (id: unknown) => {
      const c = reports.get(id as string);
      return c === undefined ? undefined : { type: c.candidateType as string, address: c.address as string };
    };
    const received: Record<string, number> = {};
    for (const r of all) if (r.type === 'inbound-rtp') received[r.kind as string] = (r.bytesReceived as number) ?? 0;
    return { policy: pc.getConfiguration().iceTransportPolicy, local: candidate(pair?.localCandidateId), remote: candidate(pair?.remoteCandidateId), received };
  });

const callState = (page: Page) => page.locator('.call-state').getAttribute('data-state');
const callText = (page: Page) => page.locator('.call-state').textContent();

describe.skipIf(!haveCoturn)('Whispr Web calls (Chromium, coturn)', () => {
  const secret = randomBytes(24).toString('hex');
  let turn: Coturn | undefined;
  beforeAll(async () => {
    turn = await startCoturn(secret);
  }, 60_000);
  afterAll(async () => turn?.stop());
  const web = useWebApp(() => ({ turn_secret: secret, turn_urls: [`turn:127.0.0.1:${turn!.port}?transport=udp`] }), {
    chromiumArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });

  /** A person with camera and microphone allowed, their app open and an identity made. */
  async function person(width: number): Promise<{ context: BrowserContext; page: Page; address: string }> {
    const context = await web.browser.newContext({ viewport: { width, height: 900 }, permissions: ['camera', 'microphone'] });
    await recordPeerConnections(context);
    const page = await web.openApp(context);
    const address = await createIdentity(page, `passphrase of ${width}`);
    return { context, page, address };
  }

  it('a video call through the TURN relay: invitation, Accept, media both ways, then Hang up; a call to someone busy, a declined call and a call to someone offline say so', async () => {
    const alice = await person(1280);
    const bob = await person(390);
    await addContact(alice.page, bob.address, 'Bob');
    await addContact(bob.page, alice.address, 'Alice');

    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await expect.poll(() => callState(alice.page), CALL).toMatch(/calling|ringing/);
    const prompt = bob.page.getByRole('region', { name: 'Video call with Alice' });
    await prompt.getByRole('button', { name: 'Accept' }).waitFor(CALL);
    expect(await callText(bob.page)).toBe('Alice is calling you (video call)');
    expect(await callText(alice.page)).toBe('Ringing Bob…');
    await prompt.getByRole('button', { name: 'Accept' }).click();

    for (const side of [alice, bob]) await expect.poll(() => callState(side.page), CALL).toBe('connected');
    for (const side of [alice, bob]) {
      const stats = await callStats(side.page);
      expect(stats.policy).toBe('relay');
      // Both ends of the selected pair are coturn's relay addresses: the media went through it.
      expect(stats.local).toEqual({ type: 'relay', address: '127.0.0.1' });
      expect(stats.remote).toEqual({ type: 'relay', address: '127.0.0.1' });
      await expect.poll(async () => (await callStats(side.page)).received, CALL).toMatchObject({ audio: expect.any(Number), video: expect.any(Number) });
      const first = (await callStats(side.page)).received;
      for (const kind of ['audio', 'video'])
        await expect.poll(async () => (await callStats(side.page)).received[kind]!, CALL).toBeGreaterThan(Math.max(first[kind]!, 0));
      await expect
        .poll(() => side.page.getByLabel('Their video').evaluate((video) => (video as unknown as { videoWidth: number }).videoWidth), CALL)
        .toBeGreaterThan(0);
      expect(await side.page.getByLabel('Your video').evaluate((video) => (video as unknown as { muted: boolean }).muted)).toBe(true);
    }
    console.log(
      `received through the relay: Alice ${JSON.stringify((await callStats(alice.page)).received)}, Bob ${JSON.stringify((await callStats(bob.page)).received)} bytes`,
    );
    expect(await alice.page.getByRole('button', { name: 'Video call' }).isDisabled()).toBe(true); // one call at a time
    // Carol rings Bob meanwhile: his app says busy, and the call goes on.
    const carol = await person(800);
    await addContact(carol.page, bob.address, 'Bob');
    await carol.page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(() => callText(carol.page), CALL).toBe('Call ended: Busy: they are in another call');
    await carol.context.close();
    for (const side of [alice, bob]) expect(await callState(side.page)).toBe('connected');
    expect(await bob.page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true); // 390 px: no sideways scroll
    await web.screenshot(alice.page, 'call');
    await web.screenshot(bob.page, 'call');

    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => callText(bob.page), CALL).toBe('Call ended: They hung up');
    expect(await callText(alice.page)).toBe('Call ended: You hung up');
    for (const side of [alice, bob]) await side.page.getByRole('button', { name: 'Close' }).click();

    // Declined: a voice call this time.
    await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
    await bob.page.getByRole('region', { name: 'Voice call with Alice' }).getByRole('button', { name: 'Decline' }).click(CALL);
    await expect.poll(() => callText(alice.page), CALL).toBe('Call ended: Declined');
    expect(await callText(bob.page)).toBe('Call ended: Declined');
    await alice.page.getByRole('button', { name: 'Close' }).click();

    // Offline: Bob closed the app; nothing rings, and Alice is told so.
    await bob.context.close();
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await expect.poll(() => callText(alice.page), CALL).toBe('Call ended: Not reachable: they are offline or did not get the call');
    expect(await alice.page.getByRole('button', { name: 'Hang up' }).isHidden()).toBe(true);

    await alice.context.close();
    expect(web.problems).toEqual([]);
  }, 240_000);
});
