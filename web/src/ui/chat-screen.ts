import { Calls } from '../calls/calls.js';
import type { Messenger } from '../chat/messenger.js';
import { takeLinkedAddress } from '../contact-link.js';
import { h } from '../dom.js';
import { callPanel } from './call-panel.js';
import { type Groups, takeInviteCode } from '../groups/groups.js';
import { contactLabel, contactsPanel } from './contacts-panel.js';
import { conversationPanel } from './conversation-panel.js';
import { groupsPanel } from './groups-panel.js';
import { identityPanel } from './identity-panel.js';
import { roomsPanel } from './rooms-panel.js';
import { type Section, sectionTabs } from './sections.js';

/** The signed-in screen: who you are, then the sections (direct messages first); redrawn whenever the messenger changes. */
export async function chatScreen(messenger: Messenger, groups: Groups): Promise<HTMLElement> {
  let selected = messenger.contacts[0]?.address;
  const status = h('p', { role: 'status', class: 'status' });
  const calls = new Calls(messenger);
  const conversation = conversationPanel(messenger, calls);
  const select = (address: string) => {
    selected = address;
    render();
  };
  const contacts = contactsPanel(messenger, select, takeLinkedAddress());
  const render = () => {
    status.textContent = messenger.connected ? 'Connected' : 'Offline: reconnecting…';
    status.dataset.connected = String(messenger.connected);
    contacts.render(selected);
    void conversation.render(selected);
  };
  messenger.addEventListener('change', render);
  render();
  const invite = takeInviteCode();
  const nameOf = (address: string) => {
    const contact = messenger.contact(address);
    if (address === messenger.client.address) return 'You';
    return contact === undefined ? `${address.slice(0, 12)}…` : contactLabel(contact);
  };
  const sections: Section[] = [
    { name: 'Messages', element: h('div', { class: 'layout' }, contacts.element, conversation.element) },
    { name: 'Groups', element: groupsPanel(groups, nameOf, invite) },
    { name: 'Rooms', element: roomsPanel() },
  ];
  return h(
    'div',
    { class: 'chat' },
    h('header', { class: 'topbar' }, h('h1', {}, 'Whispr'), status),
    callPanel(calls, nameOf),
    await identityPanel(messenger),
    sectionTabs(sections, invite === undefined ? 0 : sections.findIndex((section) => section.name === 'Groups')),
  );
}
