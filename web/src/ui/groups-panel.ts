import { field, h, onSubmit } from '../dom.js';
import type { Groups } from '../groups/groups.js';
import { groupView } from './group-view.js';

/** The Groups section: the groups list with the forms that create and join one (an invite link opened fills `linked`), and the chosen group. */
export function groupsPanel(groups: Groups, nameOf: (address: string) => string, linked: string | undefined): HTMLElement {
  let selected: string | undefined;
  const channels = new Map<string, string>();
  const list = h('ul', { class: 'contacts' });
  const view = groupView(groups, nameOf);

  const name = h('input', { required: true, autocomplete: 'off', maxlength: '128' });
  const createAlert = h('p', { role: 'alert', class: 'error' });
  const createForm = h(
    'form',
    {},
    h('fieldset', {}, h('legend', {}, 'Create a group'), field('Group name', name), h('button', { type: 'submit' }, 'Create group')),
    createAlert,
  );
  onSubmit(createForm, createAlert, async () => {
    select(await groups.create(name.value));
    createForm.reset();
  });

  const link = h('input', { required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono', value: linked });
  const joinAlert = h('p', { role: 'alert', class: 'error' });
  const joined = h('p', { role: 'status' });
  const joinForm = h(
    'form',
    {},
    h('fieldset', {}, h('legend', {}, 'Join a group'), field('Invite link or code', link), h('button', { type: 'submit' }, 'Join group')),
    joinAlert,
    joined,
  );
  onSubmit(joinForm, joinAlert, async () => {
    const { groupId, status } = await groups.join(link.value);
    link.defaultValue = ''; // the invite a link brought is used
    joinForm.reset();
    joined.textContent = status === 'pending' ? 'Asked to join: the owner approves the request' : '';
    select(groupId);
  });

  const render = () => {
    selected ??= groups.list[0]?.info.id;
    list.replaceChildren(
      ...groups.list.map((group) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', 'aria-current': group.info.id === selected ? 'true' : undefined, onclick: () => select(group.info.id) },
            group.gone ? `${group.info.name} (no longer a member)` : group.info.name,
          ),
        ),
      ),
    );
    const channel = selected === undefined ? undefined : channels.get(selected);
    view.render(selected, channel, (channelId) => {
      if (selected !== undefined) channels.set(selected, channelId);
      render();
    });
  };
  const select = (groupId: string) => {
    selected = groupId;
    render();
  };
  groups.addEventListener('change', render);
  render();
  return h(
    'div',
    { class: 'layout' },
    h('nav', { class: 'sidebar', 'aria-labelledby': 'groups-title' }, h('h2', { id: 'groups-title' }, 'Groups'), list, createForm, joinForm),
    view.element,
  );
}
