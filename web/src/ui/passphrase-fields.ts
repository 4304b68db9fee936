import { field, h } from '../dom.js';

const MIN_LENGTH = 10;

/** A new passphrase typed twice (labelled `label` and "Confirm <label>"); `read` returns it or throws what is wrong with it. */
export function newPassphraseFields(label = 'Passphrase'): { fields: HTMLElement[]; read: () => string } {
  const attrs = { type: 'password', autocomplete: 'new-password', required: true, minlength: String(MIN_LENGTH) };
  const first = h('input', attrs);
  const again = h('input', attrs);
  return {
    fields: [field(label, first), field(`Confirm ${label.toLowerCase()}`, again)],
    read: () => {
      if (first.value.length < MIN_LENGTH) throw new Error(`Choose a passphrase of at least ${MIN_LENGTH} characters`);
      if (first.value !== again.value) throw new Error('The two passphrases differ');
      return first.value;
    },
  };
}
