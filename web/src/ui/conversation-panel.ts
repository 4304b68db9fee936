import type { Calls } from '../calls/calls.js';
import type { Messenger } from '../chat/messenger.js';
import type { Downloads } from '../chat/downloads.js';
import type { ChatMessage } from '../chat/records.js';
import { errorText, field, h, onSubmit } from '../dom.js';
import { fingerprint } from '../fingerprint.js';
import { callButtonsFor } from './call-panel.js';
import { contactLabel } from './contacts-panel.js';
import { fileItem } from './file-item.js';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

const DELIVERY = { queued: 'queued', sent: 'sent', failed: 'not sent' } as const;

function messageItem(message: ChatMessage, downloads: Downloads): HTMLLIElement {
  const state = message.direction === 'out' ? ` · ${DELIVERY[message.delivery ?? 'sent']}${message.error === undefined ? '' : `: ${message.error}`}` : '';
  return h(
    'li',
    { class: `message ${message.direction}`, 'data-delivery': message.delivery },
    message.file === undefined ? h('p', { class: 'text' }, message.text) : fileItem(message.file, message.direction === 'in' ? downloads : undefined),
    message.keyChanged === true && h('p', { class: 'warning' }, 'Signed by a different key than this contact used before'),
    h('small', { class: 'meta' }, `${message.direction === 'out' ? 'You' : 'Them'}, ${time.format(message.at)}${state}`),
  );
}

/** One conversation: the other person's fingerprint, the history in arrival order, and the compose form; Call and Video call ring them. */
export function conversationPanel(messenger: Messenger, calls: Calls): { element: HTMLElement; render: (peer: string | undefined) => Promise<void> } {
  const title = h('h2', { id: 'conversation-title' }, 'No conversation');
  const callButtons = callButtonsFor(calls, () => peer);
  const details = h('p', { class: 'hint' }, 'Add a contact, or choose one, to write to them.');
  const list = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const input = h('textarea', { rows: '2', required: true });
  const attach = h('input', { type: 'file', 'aria-describedby': 'attach-hint' });
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    { class: 'compose', hidden: true },
    h(
      'fieldset',
      {},
      field('Message', input),
      h('button', { type: 'submit' }, 'Send'),
      h(
        'div',
        { class: 'attach' },
        field('Attach file', attach),
        h('small', { class: 'hint', id: 'attach-hint' }, 'A file is sent as soon as you choose it, encrypted in this browser.'),
      ),
    ),
    alert,
  );
  let peer: string | undefined;
  // A chosen file is sent at once, encrypted in this browser; a refusal (too large) shows in the alert line.
  attach.addEventListener('change', () => {
    const file = attach.files?.[0];
    attach.value = '';
    alert.textContent = '';
    if (peer === undefined || file === undefined) return;
    messenger.sendFile(peer, file).catch((error: unknown) => {
      alert.textContent = errorText(error);
    });
  });
  onSubmit(
    form,
    alert,
    async () => {
      if (peer === undefined || input.value.trim() === '') return;
      const text = input.value;
      input.value = '';
      await messenger.send(peer, text);
    },
    false,
  );
  // Enter sends, Shift+Enter starts a new line, as in most messengers.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const render = async (selected: string | undefined) => {
    const contact = selected === undefined ? undefined : messenger.contact(selected);
    form.hidden = callButtons.hidden = contact === undefined;
    if (contact === undefined) return;
    if (peer !== contact.address) details.replaceChildren('Fingerprint ', h('span', { class: 'mono fingerprint' }, await fingerprint(contact.address)));
    peer = contact.address;
    title.textContent = contactLabel(contact);
    list.replaceChildren(...messenger.conversation(contact.address).map((message) => messageItem(message, messenger.downloads)));
    list.lastElementChild?.scrollIntoView({ block: 'end' });
  };
  return {
    element: h(
      'section',
      { class: 'conversation', 'aria-labelledby': 'conversation-title' },
      h('div', { class: 'conversation-head' }, title, callButtons),
      details,
      list,
      form,
    ),
    render,
  };
}
