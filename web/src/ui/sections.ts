import { h } from '../dom.js';

/** One part of the signed-in screen (messages, groups, rooms), reached by its tab. */
export interface Section {
  name: string;
  element: HTMLElement;
}

/**
 * Tabs over the sections, one shown at a time (WAI-ARIA tabs: arrow keys move between tabs, the
 * shown panel is labelled by its tab), `initial` first (the section a link opened). The choice stays in memory:
 * the URL fragment may hold a contact or invite link.
 */
export function sectionTabs(sections: Section[], initial = 0): HTMLElement {
  const tabs = sections.map((section, index) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${index}`, 'aria-controls': `section-${index}` }, section.name),
  );
  const panels = sections.map((section, index) => h('div', { role: 'tabpanel', id: `section-${index}`, 'aria-labelledby': `tab-${index}` }, section.element));
  const choose = (chosen: number, focus = false) => {
    tabs.forEach((tab, index) => {
      tab.setAttribute('aria-selected', String(index === chosen));
      tab.tabIndex = index === chosen ? 0 : -1;
      panels[index]!.hidden = index !== chosen;
    });
    if (focus) tabs[chosen]!.focus();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => choose(index));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step !== undefined) choose((index + step + tabs.length) % tabs.length, true);
    });
  });
  choose(initial);
  return h('div', { class: 'sections' }, h('nav', { role: 'tablist', 'aria-label': 'Sections', class: 'tabs' }, ...tabs), ...panels);
}
