import { field, h, onSubmit } from '../dom.js';
import { ROOM_EMOJI, type RoomLine, type RoomSession } from '../rooms/room-session.js';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
/** Quiet this long after the last key, and the others hear that you stopped typing. */
const TYPING_IDLE_MS = 3_000;
const SNIPPET_CHARS = 40;

const snippet = (text: string): string => (text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text);

function typingLine(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
}

/** A message with its reaction buttons, which update in place (a redraw would take the keyboard focus away). */
function lineItem(session: RoomSession, line: RoomLine): { element: HTMLLIElement; update: () => void } {
  const { content } = line;
  if (content === undefined) {
    const element = h(
      'li',
      { class: 'message undecryptable' },
      h('p', { class: 'text' }, 'Cannot decrypt this message: it was not written under your room passphrase.'),
      h('small', { class: 'meta' }, `Someone, ${time.format(line.at)}`),
    );
    return { element, update: () => {} };
  }
  const who = line.mine ? 'You' : content.name;
  const buttons = ROOM_EMOJI.map((emoji) => {
    const button = h('button', {
      type: 'button',
      class: 'reaction',
      'aria-label': `React ${emoji} to message from ${who}: ${snippet(content.text)}`,
      onclick: () => session.toggleReaction(content.id, emoji),
    });
    return { emoji, button };
  });
  const update = () => {
    for (const { emoji, button } of buttons) {
      const { count, mine } = session.reactionsTo(content.id, emoji);
      button.textContent = count > 0 ? `${emoji} ${count}` : emoji;
      button.setAttribute('aria-pressed', String(mine));
    }
  };
  update();
  const element = h(
    'li',
    { class: `message ${line.mine ? 'out' : 'in'}` },
    h('p', { class: 'text' }, content.text),
    h('small', { class: 'meta' }, `${who}, ${time.format(line.at)}`),
    h('div', { class: 'reactions' }, ...buttons.map((b) => b.button)),
  );
  return { element, update };
}

/** The room you are in: who is here, the messages since you came, who is typing, the compose form and Leave. */
export function roomView(session: RoomSession, onLeave: () => void): HTMLElement {
  const status = h('p', { role: 'status', class: 'status' });
  const members = h('ul', { class: 'members', 'aria-label': 'In this room' });
  const list = h('ol', { class: 'messages', 'aria-label': 'Room messages' });
  const typing = h('p', { class: 'typing hint', 'aria-live': 'polite' });
  const problem = h('p', { role: 'alert', class: 'error' });
  const input = h('textarea', { rows: '2', required: true });
  const alert = h('p', { role: 'alert', class: 'error' });
  const form = h('form', { class: 'compose' }, h('fieldset', {}, field('Room message', input), h('button', { type: 'submit' }, 'Send')), alert);
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stoppedTyping = () => {
    clearTimeout(idle);
    session.typed(false);
  };
  onSubmit(
    form,
    alert,
    async () => {
      if (input.value.trim() === '') return;
      const text = input.value;
      clearTimeout(idle);
      await session.send(text);
      input.value = '';
    },
    false,
  );
  input.addEventListener('input', () => {
    clearTimeout(idle);
    if (input.value === '') {
      stoppedTyping();
    } else {
      session.typed(true);
      idle = setTimeout(stoppedTyping, TYPING_IDLE_MS);
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const items: Array<{ key: string; element: HTMLLIElement; update: () => void }> = [];
  const render = () => {
    status.textContent = session.connected ? `Connected as ${session.me.name}` : 'Offline: rejoining…';
    status.dataset.connected = String(session.connected);
    members.replaceChildren(...session.members.map((m) => h('li', {}, m.id === session.me.id ? `${m.name} (you)` : m.name)));
    typing.textContent = typingLine(session.typing);
    problem.textContent = session.problem;
    // Lines only ever append (the oldest may drop off the front): draw the new ones, update the rest.
    while (items.length > 0 && !session.lines.some((line) => line.key === items[0]!.key)) items.shift()!.element.remove();
    for (const line of session.lines.slice(items.length)) {
      const item = { key: line.key, ...lineItem(session, line) };
      items.push(item);
      list.append(item.element);
      item.element.scrollIntoView({ block: 'end' });
    }
    for (const item of items) item.update();
  };
  session.addEventListener('change', render);
  render();
  const leave = h('button', { type: 'button', class: 'secondary' }, 'Leave room');
  leave.addEventListener('click', () => {
    clearTimeout(idle);
    session.leave();
    onLeave();
  });
  return h(
    'div',
    { class: 'layout' },
    h(
      'section',
      { class: 'sidebar', 'aria-labelledby': 'room-members-title' },
      h('h2', { id: 'room-members-title' }, 'Members'),
      members,
      h('div', { class: 'actions' }, leave),
    ),
    h(
      'section',
      { class: 'conversation', 'aria-labelledby': 'room-title' },
      h('h2', { id: 'room-title' }, `Room ${session.roomId}`),
      status,
      problem,
      list,
      typing,
      form,
    ),
  );
}
