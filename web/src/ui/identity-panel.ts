import type { Identity } from 'whispr-sdk';
import { contactLink } from '../contact-link.js';
import { field, h, saveFile } from '../dom.js';
import { fingerprint } from '../fingerprint.js';
import { identityFileText } from '../identity-file.js';

/** Saves the identity as the JSON `whispr keygen` writes: it holds the secret keys, so the browser asks where to put it. */
function exportIdentity(identity: Identity): void {
  saveFile(new Blob([identityFileText(identity)], { type: 'application/json' }), 'whispr-identity.json');
}

/** Who you are: the address (or a link to it) to give others, its fingerprint to compare, and the export of your keys. */
export async function identityPanel(address: string, identity: Identity): Promise<HTMLElement> {
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
  );
}
