/**
 * An axe-style audit run inside the page: every visible control has an accessible name, and every
 * visible text meets WCAG 2.1 AA contrast (4.5:1; 3:1 for large text) against the background it
 * is drawn on. Plain JavaScript, evaluated as a string (the test's TypeScript has no DOM types).
 */
import type { Page } from 'playwright-core';

export interface AuditFinding {
  rule: 'control-name' | 'contrast';
  element: string;
  detail: string;
}

const AUDIT = `(() => {
  const findings = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const nameOf = (el) => {
    const labelledby = el.getAttribute('aria-labelledby');
    if (labelledby) return labelledby.split(/\\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    const aria = el.getAttribute('aria-label');
    if (aria) return aria.trim();
    if (el.labels && el.labels.length > 0) return [...el.labels].map((l) => l.textContent).join(' ').trim();
    if (el.tagName === 'BUTTON' || el.tagName === 'A' || el.tagName === 'SUMMARY') return (el.textContent ?? '').trim();
    return (el.getAttribute('title') ?? '').trim();
  };
  for (const el of document.querySelectorAll('input:not([type=hidden]), textarea, select, button, a[href], summary, [role=tab]')) {
    if (!visible(el)) continue;
    if (nameOf(el) === '') findings.push({ rule: 'control-name', element: describe(el), detail: 'no accessible name' });
  }
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) layers.push(rgba(getComputedStyle(node).backgroundColor));
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!el || seen.has(el) || text.textContent.trim() === '' || !visible(el)) continue;
    if (el.closest('video, [aria-hidden=true]') || el.matches(':disabled') || el.closest(':disabled')) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) findings.push({ rule: 'contrast', element: describe(el), detail: ratio.toFixed(2) + ':1 for "' + text.textContent.trim().slice(0, 40) + '"' });
  }
  return findings;
})()`;

/** What the audit finds on the page as it is now (empty: nothing to fix). */
export const auditPage = (page: Page): Promise<AuditFinding[]> => page.evaluate(AUDIT) as Promise<AuditFinding[]>;
