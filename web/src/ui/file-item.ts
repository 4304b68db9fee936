import type { FileEnvelope } from 'whispr-sdk';
import { type Downloads, PREVIEWABLE } from '../chat/downloads.js';
import { errorText, h } from '../dom.js';
import { fileSize } from '../file-size.js';

/** Saves a decrypted file under its own name (the browser asks where, or uses its downloads folder). */
const save = (url: string, name: string) => h('a', { href: url, download: name }).click();

/**
 * A file in the conversation: its name and size; a received one also has its download button,
 * and an image its preview, decrypted in this browser into a blob: URL (the sender's own copy is
 * not kept: the server keeps a file for its recipient only).
 */
export function fileItem(file: FileEnvelope, downloads: Downloads | undefined): HTMLElement {
  const item = h('div', { class: 'file' }, h('p', { class: 'file-name' }, file.name, ' ', h('small', {}, `(${fileSize(file.size)})`)));
  if (downloads === undefined) return item;
  const problem = h('p', { class: 'error' });
  const failed = (error: unknown) => {
    problem.textContent = `Could not fetch ${file.name}: ${errorText(error)}`;
  };
  if (file.mime !== undefined && PREVIEWABLE.has(file.mime)) {
    const preview = h('img', { class: 'preview', alt: `Preview of ${file.name}` });
    const made = downloads.made(file);
    if (made !== undefined) preview.src = made;
    else
      downloads.url(file).then((url) => {
        preview.src = url;
      }, failed);
    item.prepend(preview);
  }
  const button = h(
    'button',
    { type: 'button', onclick: () => void downloads.url(file, true).then((url) => save(url, file.name), failed) },
    `Download ${file.name}`,
  );
  item.append(button, problem);
  return item;
}
