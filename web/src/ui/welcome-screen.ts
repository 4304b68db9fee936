import { generateIdentity, type Identity } from 'whispr-sdk';
import { h, onSubmit } from '../dom.js';
import { parseIdentityFile } from '../identity-file.js';
import { newPassphraseFields } from './passphrase-fields.js';

export type Store = (identity: Identity, passphrase: string) => Promise<void>;

const NOTE =
  'Your keys are made in this browser and kept here, encrypted under your passphrase. They never leave it: keep the passphrase, and export your identity to keep a copy.';

/** First visit: make a new identity, or bring the one `whispr keygen` (or another browser's Export) wrote. */
export function welcomeScreen(store: Store): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'welcome-title' },
    h('h1', { id: 'welcome-title' }, 'Welcome to Whispr'),
    h('p', {}, NOTE),
    createForm(store),
    importForm(store),
  );
}

function createForm(store: Store): HTMLFormElement {
  const passphrase = newPassphraseFields();
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    {},
    h('fieldset', {}, h('legend', {}, 'New identity'), ...passphrase.fields, h('button', { type: 'submit' }, 'Create identity')),
    alert,
  );
  onSubmit(form, alert, () => store(generateIdentity(), passphrase.read()));
  return form;
}

function importForm(store: Store): HTMLFormElement {
  const file = h('input', { type: 'file', accept: 'application/json,.json', required: true });
  const passphrase = newPassphraseFields();
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    {},
    h(
      'fieldset',
      {},
      h('legend', {}, 'Import an identity'),
      h('label', { class: 'field' }, h('span', {}, 'Identity file (whispr keygen JSON)'), file),
      ...passphrase.fields,
      h('button', { type: 'submit' }, 'Import identity'),
    ),
    alert,
  );
  onSubmit(form, alert, async () => {
    const chosen = file.files?.[0];
    if (chosen === undefined) throw new Error('Choose an identity file');
    await store(parseIdentityFile(await chosen.text()), passphrase.read());
  });
  return form;
}
