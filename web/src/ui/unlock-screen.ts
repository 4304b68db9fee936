import { field, h, onSubmit } from '../dom.js';

/** A returning visit: the passphrase opens the identity kept in this browser. */
export function unlockScreen(unlock: (passphrase: string) => Promise<void>): HTMLElement {
  const passphrase = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h('form', {}, h('fieldset', {}, field('Passphrase', passphrase), h('button', { type: 'submit' }, 'Unlock')), alert);
  onSubmit(form, alert, () => unlock(passphrase.value));
  return h('section', { class: 'card', 'aria-labelledby': 'unlock-title' }, h('h1', { id: 'unlock-title' }, 'Unlock Whispr'), form);
}
