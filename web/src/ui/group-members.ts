import type { Group, Groups } from '../groups/groups.js';
import { h } from '../dom.js';

/** Who is in the group and with which role; the owner may remove (ban) a member or hand ownership over; anyone but the owner may leave. */
export function groupMembers(groups: Groups, group: Group, nameOf: (address: string) => string, act: (action: () => Promise<void>) => void): HTMLElement {
  const isOwner = group.role === 'owner';
  const items = group.members.map((member) => {
    const name = nameOf(member.address);
    const others = member.address !== groups.me;
    return h(
      'li',
      {},
      h('span', { class: 'member' }, `${name} · ${member.role}`),
      isOwner &&
        others &&
        h(
          'span',
          { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Remove ${name}`, onclick: () => act(() => groups.remove(group.info.id, member.address)) }, 'Remove'),
          h(
            'button',
            { type: 'button', 'aria-label': `Make ${name} the owner`, onclick: () => act(() => groups.transferOwner(group.info.id, member.address)) },
            'Make owner',
          ),
        ),
    );
  });
  return h(
    'section',
    { 'aria-labelledby': 'members-title' },
    h('h3', { id: 'members-title' }, `Members (${group.members.length})`),
    h('ul', { class: 'members' }, ...items),
    !isOwner && h('button', { type: 'button', onclick: () => act(() => groups.leave(group.info.id)) }, 'Leave group'),
  );
}
