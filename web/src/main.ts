import { WhisprClient } from 'whispr-sdk';
import { Messenger } from './chat/messenger.js';
import type { StoredRecord } from './chat/records.js';
import { Groups } from './groups/groups.js';
import { type GroupRecord, GroupVault } from './groups/group-vault.js';
import { Idb } from './storage/idb.js';
import { SealedStores } from './storage/sealed-records.js';
import { createVault, hasVault, type Unlocked, unlockVault } from './storage/vault.js';
import { chatScreen } from './ui/chat-screen.js';
import { unlockScreen } from './ui/unlock-screen.js';
import { welcomeScreen } from './ui/welcome-screen.js';

const root = document.getElementById('app')!;
const show = (screen: HTMLElement) => root.replaceChildren(screen);

// The service worker keeps the app's files so it opens offline after the first visit.
navigator.serviceWorker?.register('sw.js', { scope: './' }).catch((error: unknown) => console.warn('service worker not registered', error));

const idb = await Idb.open();

/** Unlocked: this server (the page's own origin) as the SDK's client; the push socket signs in with a key proof. */
async function start({ identity, key }: Unlocked): Promise<void> {
  const client = new WhisprClient({ baseUrl: location.origin, identity });
  const sealed = new SealedStores(idb, key);
  const messenger = await Messenger.open(client, sealed.records<StoredRecord>('records'));
  const groups = new Groups(client, await GroupVault.open(sealed.records<GroupRecord>('group-records')), messenger);
  show(await chatScreen(messenger, groups));
  messenger.start();
  groups.start();
}

if (await hasVault(idb)) show(unlockScreen(async (passphrase) => start(await unlockVault(idb, passphrase))));
else show(welcomeScreen(async (identity, passphrase) => start(await createVault(idb, passphrase, identity))));
