import { field, h, onSubmit } from '../dom.js';
import { RoomSession } from '../rooms/room-session.js';
import { roomView } from './room-view.js';

/** What the rooms server accepts (docs/rooms.md); the browser checks it before anything is sent. */
const ROOM_NAME = { pattern: '[A-Za-z0-9_\\-]{1,64}', title: '1 to 64 letters, digits, - or _' };
const DISPLAY_NAME = { pattern: '[A-Za-z0-9 _\\-]{1,32}', title: '1 to 32 letters, digits, spaces, - or _' };
const MIN_PASSPHRASE = 8;

/** The Rooms section: the form that joins a room, replaced by the room while you are in it. */
export function roomsPanel(): HTMLElement {
  const panel = h('div', { class: 'rooms' });
  const roomName = h('input', { required: true, autocomplete: 'off', spellcheck: 'false', ...ROOM_NAME });
  const passphrase = h('input', { type: 'password', required: true, minlength: String(MIN_PASSPHRASE), autocomplete: 'off' });
  const displayName = h('input', { required: true, autocomplete: 'nickname', ...DISPLAY_NAME });
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    { class: 'card' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Join a room'),
      h(
        'p',
        { class: 'hint' },
        'Everyone with the room name and its passphrase reads the room. The server sees the room name, display names, typing and reactions, never the messages. Nothing is kept: you see what is said while you are in.',
      ),
      field('Room name', roomName),
      field('Room passphrase', passphrase),
      field('Display name', displayName),
      h('button', { type: 'submit' }, 'Join room'),
    ),
    alert,
  );
  const showForm = () => panel.replaceChildren(form);
  onSubmit(form, alert, async () => {
    const session = await RoomSession.join({ roomId: roomName.value, passphrase: passphrase.value, username: displayName.value.trim() });
    passphrase.value = '';
    panel.replaceChildren(roomView(session, showForm));
  });
  showForm();
  return panel;
}
