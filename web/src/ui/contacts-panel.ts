import type { Messenger } from '../chat/messenger.js';
import type { Contact } from '../chat/records.js';
import { field, h, onSubmit } from '../dom.js';

export const contactLabel = (contact: Contact): string => contact.name || `${contact.address.slice(0, 12)}…`;

/** The contact list and the form that adds one by pasting an address (or opening a contact link: `linked`); `select` opens a conversation. */
export function contactsPanel(
  messenger: Messenger,
  select: (address: string) => void,
  linked: string | undefined,
): { element: HTMLElement; render: (selected: string | undefined) => void } {
  const list = h('ul', { class: 'contacts' });
  const address = h('input', { required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono', value: linked });
  const name = h('input', { autocomplete: 'off' });
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    {},
    h('fieldset', {}, h('legend', {}, 'Add a contact'), field('Contact address', address), field('Name', name), h('button', { type: 'submit' }, 'Add contact')),
    alert,
  );
  onSubmit(form, alert, async () => {
    const contact = await messenger.addContact(address.value, name.value);
    form.reset();
    select(contact.address);
  });
  const render = (selected: string | undefined) =>
    list.replaceChildren(
      ...messenger.contacts.map((contact) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', 'aria-current': contact.address === selected ? 'true' : undefined, onclick: () => select(contact.address) },
            contactLabel(contact),
          ),
        ),
      ),
    );
  return { element: h('nav', { class: 'sidebar', 'aria-labelledby': 'contacts-title' }, h('h2', { id: 'contacts-title' }, 'Contacts'), list, form), render };
}
