import { type FileEnvelope, fileEnvelopeOf, type GroupMessageItem, utf8 } from 'whispr-sdk';
import { errorText, field, h, onSubmit, saveFile } from '../dom.js';
import type { ChannelHistory } from '../groups/channel-history.js';
import type { Group, Groups } from '../groups/groups.js';
import { groupMembers } from './group-members.js';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const bytes = new Intl.NumberFormat(undefined, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 1 });
const sizeText = (size: number): string => (size < 1024 ? `${size} B` : bytes.format(size / 1024));

/**
 * One group: its invite link (for managers), channels, the open channel's messages with older
 * pages a click away, the compose form, and the members. The forms stay in place across redraws,
 * so what someone is typing survives a message arriving.
 */
export function groupView(
  groups: Groups,
  nameOf: (address: string) => string,
): { element: HTMLElement; render: (groupId: string | undefined, channelId: string | undefined, select: (channelId: string) => void) => void } {
  const title = h('h2', { id: 'group-title' }, 'No group');
  const details = h('p', { class: 'hint' }, 'Create a group, or join one with an invite link.');
  const alert = h('p', { role: 'alert', class: 'error' });
  const act = (action: () => Promise<void>) => {
    alert.textContent = '';
    action().catch((error: unknown) => (alert.textContent = errorText(error)));
  };

  const inviteField = h('textarea', { readonly: true, rows: '1', class: 'mono address', spellcheck: 'false' });
  const copied = h('span', { role: 'status' });
  const invite = h(
    'div',
    { hidden: true },
    field('Invite link', inviteField),
    h(
      'p',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: () =>
            void navigator.clipboard.writeText(inviteField.value).then(
              () => (copied.textContent = 'Copied'),
              () => inviteField.select(),
            ),
        },
        'Copy invite link',
      ),
      h('button', { type: 'button', onclick: () => act(async () => current && (await groups.newInvite(current.info.id))) }, 'New invite link'),
      copied,
    ),
  );

  const channelList = h('ul', { class: 'contacts channels' });
  const channelName = h('input', { required: true, autocomplete: 'off', maxlength: '64' });
  const channelAlert = h('p', { role: 'alert', class: 'error' });
  const channelForm = h(
    'form',
    { hidden: true },
    h('fieldset', {}, h('legend', {}, 'New channel'), field('Channel name', channelName), h('button', { type: 'submit' }, 'Create channel')),
    channelAlert,
  );

  const older = h('button', { type: 'button', hidden: true, onclick: () => history?.showOlder() }, 'Load older messages');
  const list = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-label': 'Channel messages' });
  const input = h('textarea', { rows: '2', required: true });
  const sendAlert = h('p', { role: 'alert', class: 'error' });
  const compose = h(
    'form',
    { class: 'compose', hidden: true },
    h('fieldset', {}, field('Group message', input), h('button', { type: 'submit' }, 'Send to channel')),
    sendAlert,
  );
  const file = h('input', { type: 'file', required: true });
  const fileAlert = h('p', { role: 'alert', class: 'error' });
  const fileForm = h('form', { hidden: true }, h('fieldset', {}, field('File to share', file), h('button', { type: 'submit' }, 'Send file')), fileAlert);
  const members = h('div');

  let current: Group | undefined;
  let channel: string | undefined;
  let history: ChannelHistory | undefined;
  let select: (channelId: string) => void = () => undefined;
  let newest: string | undefined;

  onSubmit(channelForm, channelAlert, async () => {
    if (current === undefined) return;
    select(await groups.createChannel(current.info.id, channelName.value));
    channelForm.reset();
  });
  onSubmit(
    compose,
    sendAlert,
    async () => {
      if (current === undefined || channel === undefined || input.value.trim() === '') return;
      const text = input.value;
      input.value = '';
      await groups.send(current.info.id, channel, text).catch((error: unknown) => {
        input.value = text; // not sent: keep it to send again
        throw error;
      });
    },
    false,
  );
  onSubmit(fileForm, fileAlert, async () => {
    const chosen = file.files?.[0];
    if (current === undefined || channel === undefined || chosen === undefined) return;
    await groups.sendFile(current.info.id, channel, chosen);
    fileForm.reset();
  });
  // Enter sends, Shift+Enter starts a new line, as in direct messages.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });

  const fileItem = (groupId: string, envelope: FileEnvelope): HTMLElement =>
    h(
      'p',
      { class: 'text file' },
      `${envelope.name} (${sizeText(envelope.size)}) `,
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Download ${envelope.name}`,
          onclick: () => act(async () => saveFile(new Blob([(await groups.downloadFile(groupId, envelope)).bytes as Uint8Array<ArrayBuffer>]), envelope.name)),
        },
        'Download',
      ),
    );

  const messageItem = (groupId: string, message: GroupMessageItem): HTMLLIElement => {
    const text = groups.read(groupId, message);
    const mine = message.sender_id === groups.me;
    const envelope = text === undefined ? undefined : fileEnvelopeOf(utf8(text));
    return h(
      'li',
      { class: `message ${mine ? 'out' : 'in'}` },
      text === undefined
        ? h('p', { class: 'text hint' }, `Cannot be read here: written under key version ${message.key_version}, which this browser was never given`)
        : envelope === undefined
          ? h('p', { class: 'text' }, text)
          : fileItem(groupId, envelope),
      h('small', { class: 'meta' }, `${nameOf(message.sender_id)}, ${time.format(message.timestamp * 1000)}`),
    );
  };

  const render = (groupId: string | undefined, channelId: string | undefined, onSelect: (channelId: string) => void) => {
    select = onSelect;
    current = groupId === undefined ? undefined : groups.group(groupId);
    const group = current;
    for (const part of [compose, fileForm, channelForm, invite]) part.hidden = true;
    if (group === undefined) return;
    title.textContent = group.info.name;
    if (group.gone) {
      details.textContent = 'You are no longer a member of this group: nothing new can be read here.';
      for (const part of [channelList, list, members]) part.replaceChildren();
      older.hidden = true;
      return;
    }
    const keyNote = groups.hasKey(group) ? `key version ${group.keyVersion}` : 'waiting for the group key from the owner';
    details.textContent = `You are ${group.role === 'member' ? 'a member' : `the ${group.role}`} · ${keyNote}`;
    const link = groups.invite(group.info.id);
    invite.hidden = !groups.canManage(group);
    inviteField.value = link ?? 'None yet: make a new invite link';
    channelForm.hidden = !groups.canManage(group);

    channel = group.channels.some((c) => c.id === channelId) ? channelId : group.channels[0]?.id;
    channelList.replaceChildren(
      ...group.channels.map((c) =>
        h('li', {}, h('button', { type: 'button', 'aria-current': c.id === channel ? 'true' : undefined, onclick: () => select(c.id) }, `# ${c.name}`)),
      ),
    );
    compose.hidden = channel === undefined;
    fileForm.hidden = channel === undefined;
    history = channel === undefined ? undefined : groups.history(group.info.id, channel);
    const visible = history?.visible ?? [];
    older.hidden = history?.hasOlder !== true;
    list.replaceChildren(...visible.map((message) => messageItem(group.info.id, message)));
    const last = visible.at(-1)?.id;
    if (last !== newest) list.lastElementChild?.scrollIntoView({ block: 'end' });
    newest = last;
    members.replaceChildren(groupMembers(groups, group, nameOf, act));
  };

  const element = h(
    'section',
    { class: 'conversation', 'aria-labelledby': 'group-title' },
    title,
    details,
    alert,
    invite,
    h('nav', { 'aria-label': 'Channels' }, channelList),
    channelForm,
    older,
    list,
    compose,
    fileForm,
    members,
  );
  return { element, render };
}
