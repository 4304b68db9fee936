type Child = Node | string | false | null | undefined;
/** Attributes as strings (true: present, false/undefined: absent); `on…` keys add event listeners. */
type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/** Builds an element: no framework, no innerHTML (so no markup injection from message text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  element.append(...children.filter((child): child is Node | string => child !== false && child !== null && child !== undefined));
  return element;
}

/** A labelled control: the label wraps it, so screen readers and tests find it by its name. */
export const field = (label: string, control: HTMLElement): HTMLLabelElement => h('label', { class: 'field' }, h('span', {}, label), control);

/** What went wrong, in words for the person: a server refusal's detail (an SDK WhisprError), else the message. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? detail : error.message;
}

/**
 * Runs a form's async action, showing a failure in its alert line. With `lock`, its controls are
 * disabled meanwhile (a slow key derivation must not start twice); without, typing goes on.
 */
export function onSubmit(form: HTMLFormElement, alert: HTMLElement, action: () => Promise<void>, lock = true): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fieldset = lock ? form.querySelector('fieldset') : null;
    if (fieldset !== null) fieldset.disabled = true;
    alert.textContent = '';
    action()
      .catch((error: unknown) => {
        alert.textContent = errorText(error);
      })
      .finally(() => {
        if (fieldset !== null) fieldset.disabled = false;
      });
  });
}

/** Saves a file through the browser's download (which asks where, or uses the downloads folder). */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  h('a', { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
