import type { Identity } from 'whispr-sdk';
import type { Messenger } from '../chat/messenger.js';
import { contactLink } from '../contact-link.js';
import { field, h, onSubmit, saveFile } from '../dom.js';
import { fingerprint } from '../fingerprint.js';
import { identityFileText } from '../identity-file.js';
import { newPassphraseFields } from './passphrase-fields.js';

/** Saves the identity as the JSON `whispr keygen` writes: it holds the secret keys, so the browser asks where to put it. */
function exportIdentity(identity: Identity): void {
  saveFile(new Blob([identityFileText(identity)], { type: 'application/json' }), 'whispr-identity.json');
}

/** The current passphrase, then a new one twice: the identity and every record are sealed again under the new one. */
function passphraseChange(messenger: Messenger): HTMLElement {
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = newPassphraseFields('New passphrase');
  const alert = h('p', { role: 'alert', class: 'error' });
  const done = h('p', { role: 'status' });
  const form = h(
    'form',
    {},
    h('fieldset', {}, field('Current passphrase', current), ...next.fields, h('button', { type: 'submit' }, 'Change passphrase')),
    alert,
    done,
  );
  onSubmit(form, alert, async () => {
    done.textContent = '';
    await messenger.changePassphrase(current.value, next.read());
    form.reset();
    done.textContent = 'Passphrase changed: use the new one from now on';
  });
  return h('details', { class: 'passphrase-change' }, h('summary', {}, 'Passphrase'), form);
}

/** Who you are: the address (or a link to it) to give others, its fingerprint to compare, the export of your keys, and the passphrase change. */
export async function identityPanel(messenger: Messenger): Promise<HTMLElement> {
  const { address, identity } = messenger.client;
  // A textarea, so the 64 characters wrap on a narrow screen instead of hiding behind a scroll.
  const addressField = h('textarea', { readonly: true, rows: '1', class: 'mono address', spellcheck: 'false' }, address);
  const copied = h('span', { role: 'status' });
  const copy = async (text: string) => {
    await navigator.clipboard.writeText(text).then(
      () => (copied.textContent = 'Copied'),
      () => addressField.select(),
    );
  };
  return h(
    'section',
    { class: 'me', 'aria-labelledby': 'me-title' },
    h('h2', { id: 'me-title' }, 'You'),
    field('Your address', addressField),
    h('p', {}, 'Fingerprint ', h('span', { class: 'mono fingerprint', 'data-testid': 'own-fingerprint' }, await fingerprint(address))),
    h(
      'p',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => void copy(address) }, 'Copy address'),
      h('button', { type: 'button', onclick: () => void copy(contactLink(address)) }, 'Copy contact link'),
      h('button', { type: 'button', onclick: () => exportIdentity(identity) }, 'Export identity'),
      copied,
    ),
    passphraseChange(messenger),
  );
}
