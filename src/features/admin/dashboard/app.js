// Whispr admin dashboard: plain JavaScript, no build step. Talks to the admin API with the token
// from POST /api/auth/login, kept in sessionStorage (gone when the tab closes).
// biome-ignore lint/suspicious/noRedundantUseStrict: index.html loads this as a classic script, not a module, so the directive is what makes it strict
'use strict';

const TOKEN_KEY = 'whispr-admin-token';
const SVG = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 15_000;
const $ = (id) => document.getElementById(id);

let refreshTimer;

// ---- API -------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { ...(options.headers || {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && path !== '/api/auth/login') {
    showLogin('Your session has expired; please log in again.');
    throw new ApiError(401, await response.json().catch(() => undefined));
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
  return options.raw ? response : response.json();
}

// ---- Formatting ------------------------------------------------------------------------------

const formatNumber = (n) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s}s`].filter(Boolean).join(' ');
}

function formatValue(key, value) {
  if (typeof value === 'number') {
    if (key.endsWith('_bytes')) return formatBytes(value);
    if (key === 'uptime_seconds') return formatDuration(value);
    if (key.endsWith('last_run') || key.endsWith('_at')) return value ? `${new Date(value * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC` : 'never';
    return formatNumber(value);
  }
  return String(value);
}

const isoDay = (date) => date.toISOString().slice(0, 10);
const el = (tag, attrs = {}, text) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
};
const svgEl = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
};

// ---- Charts (inline SVG) ---------------------------------------------------------------------

const CHART = { width: 640, height: 220, left: 44, right: 12, top: 12, bottom: 28 };

/** Axes with the largest value and the first and last day as labels; returns the plot geometry. */
function chartFrame(svg, points, max) {
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  svg.append(svgEl('line', { class: 'axis', x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH }));
  svg.append(svgEl('line', { class: 'axis', x1: left, y1: top, x2: left, y2: top + plotH }));
  const label = (text, attrs) => {
    const t = svgEl('text', { class: 'label', ...attrs });
    t.textContent = text;
    svg.append(t);
  };
  label(formatNumber(max), { x: left - 6, y: top + 10, 'text-anchor': 'end' });
  label('0', { x: left - 6, y: top + plotH, 'text-anchor': 'end' });
  if (points.length > 0) {
    label(points[0].label, { x: left, y: height - 8, 'text-anchor': 'start' });
    label(points[points.length - 1].label, { x: left + plotW, y: height - 8, 'text-anchor': 'end' });
  }
  return { x0: left, y0: top + plotH, plotW, plotH };
}

function newChart(container, kind, points) {
  container.replaceChildren();
  const svg = svgEl('svg', {
    viewBox: `0 0 ${CHART.width} ${CHART.height}`,
    role: 'img',
    'data-chart': kind,
    'data-total': points.reduce((sum, p) => sum + p.value, 0),
  });
  container.append(svg);
  const max = Math.max(1, ...points.map((p) => p.value));
  return { svg, max, frame: chartFrame(svg, points, max) };
}

const tooltip = (node, point) => {
  const title = svgEl('title');
  title.textContent = `${point.label}: ${formatNumber(point.value)}`;
  node.append(title);
  node.setAttribute('data-label', point.label);
  node.setAttribute('data-value', point.value);
  return node;
};

function barChart(container, points) {
  const { svg, max, frame } = newChart(container, 'bar', points);
  const slot = frame.plotW / Math.max(1, points.length);
  points.forEach((p, i) => {
    const h = (p.value / max) * frame.plotH;
    svg.append(tooltip(svgEl('rect', { class: 'bar', x: frame.x0 + i * slot + slot * 0.15, y: frame.y0 - h, width: Math.max(1, slot * 0.7), height: h }), p));
  });
}

function lineChart(container, points) {
  const { svg, max, frame } = newChart(container, 'line', points);
  const step = frame.plotW / Math.max(1, points.length - 1);
  const xy = points.map((p, i) => [frame.x0 + (points.length === 1 ? frame.plotW / 2 : i * step), frame.y0 - (p.value / max) * frame.plotH]);
  svg.append(svgEl('polyline', { class: 'line', points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') }));
  points.forEach((p, i) => {
    svg.append(tooltip(svgEl('circle', { class: 'dot', cx: xy[i][0], cy: xy[i][1], r: 3 }), p));
  });
}

// ---- Views -----------------------------------------------------------------------------------

function showLogin(message = '') {
  clearInterval(refreshTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  $('dashboard-view').hidden = true;
  $('logout').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('login-username').focus();
}

function showDashboard() {
  $('login-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('logout').hidden = false;
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => void refresh(), REFRESH_MS);
  return refresh();
}

function rangeQuery() {
  const params = new URLSearchParams();
  if ($('range-from').value) params.set('from', $('range-from').value);
  if ($('range-to').value) params.set('to', $('range-to').value);
  return params.toString();
}

function renderOverview(overview) {
  for (const node of document.querySelectorAll('[data-stat]')) {
    const value = overview[node.dataset.stat];
    node.textContent = formatNumber(value);
    node.dataset.value = String(value);
  }
  const state = $('analytics-state');
  state.textContent = overview.analytics_enabled ? 'analytics on' : 'analytics off';
  state.classList.toggle('off', !overview.analytics_enabled);
}

function renderCharts(messages, users) {
  barChart(
    $('chart-messages'),
    messages.days.map((d) => ({ label: d.date, value: d.messages + d.group_messages })),
  );
  lineChart(
    $('chart-users'),
    users.days.map((d) => ({ label: d.date, value: d.active_users })),
  );
}

function renderGroups(groups) {
  const body = $('groups-table').querySelector('tbody');
  body.replaceChildren();
  for (const g of groups) {
    const row = el('tr', { 'data-group-id': g.id });
    row.append(el('td', {}, g.name));
    const id = el('td');
    id.append(el('code', {}, g.id));
    row.append(id);
    const owner = el('td', { title: g.owner_id });
    owner.append(el('code', {}, `${g.owner_id.slice(0, 12)}…`));
    row.append(owner);
    row.append(el('td', {}, new Date(g.created_at * 1000).toISOString().slice(0, 16).replace('T', ' ')));
    row.append(el('td', {}, String(g.key_version)));
    const actions = el('td');
    const button = el('button', { type: 'button', class: 'danger', 'data-delete': g.id }, 'Delete');
    button.addEventListener('click', () => void deleteGroup(g.id, g.name));
    actions.append(button);
    row.append(actions);
    body.append(row);
  }
  $('groups-empty').hidden = groups.length > 0;
}

const SYSTEM_ORDER = [
  'status',
  'version',
  'uptime_seconds',
  'active_connections',
  'websocket_connections',
  'active_rooms',
  'total_users',
  'calls',
  'queued_messages',
  'queued_user_events',
  'attachments',
  'storage_bytes',
  'storage',
  'security',
  'analytics_enabled',
];

function flatten(prefix, value, out) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (value !== null && value !== undefined) {
    out.push([prefix, value]);
  }
}

function renderSystem(system) {
  const list = $('system-status');
  list.replaceChildren();
  const keys = [
    ...SYSTEM_ORDER.filter((k) => k in system),
    ...Object.keys(system)
      .filter((k) => !SYSTEM_ORDER.includes(k))
      .sort(),
  ];
  for (const key of keys) {
    const rows = [];
    flatten(key, system[key], rows);
    for (const [name, value] of rows) {
      const pair = el('div', { class: 'kv-row' });
      pair.append(el('dt', {}, name.replaceAll('_', ' ')), el('dd', { 'data-key': name, 'data-value': String(value) }, formatValue(name, value)));
      list.append(pair);
    }
  }
  $('server-version').textContent = system.version ? `v${system.version}` : '';
}

async function refresh() {
  const query = rangeQuery();
  try {
    const [overview, messages, users, groups, system] = await Promise.all([
      api('/api/stats/overview'),
      api(`/api/stats/messages?${query}`),
      api(`/api/stats/users?${query}`),
      api('/api/groups/public/list?limit=500'),
      api('/api/stats/system'),
    ]);
    renderOverview(overview);
    renderCharts(messages, users);
    renderGroups(groups.groups);
    renderSystem(system);
    document.body.dataset.loaded = String(Date.now());
  } catch (err) {
    if (err.status !== 401) $('groups-message').textContent = `Could not load: ${err.message}`;
  }
}

async function deleteGroup(groupId, name) {
  if (!window.confirm(`Delete ${name ? `"${name}"` : 'this group'} (${groupId}) with all its channels, messages and files?`)) return;
  try {
    await api(`/api/groups/delete?group_id=${encodeURIComponent(groupId)}`, { method: 'DELETE' });
    $('groups-message').textContent = `Deleted group ${groupId}.`;
  } catch (err) {
    $('groups-message').textContent = `Could not delete ${groupId}: ${err.message}`;
  }
  await refresh();
}

async function exportCsv() {
  const response = await api(`/api/stats/export.csv?${rangeQuery()}`, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = el('a', { href: url, download: `whispr-stats-${isoDay(new Date())}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- Wiring ----------------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = $('login-submit');
  submit.disabled = true;
  $('login-error').textContent = '';
  try {
    const token = await api('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('login-username').value, password: $('login-password').value }),
    });
    sessionStorage.setItem(TOKEN_KEY, token.access_token);
    $('login-password').value = '';
    await showDashboard();
  } catch (err) {
    $('login-error').textContent = err.status === 401 ? 'Incorrect user name or password.' : err.message;
  } finally {
    submit.disabled = false;
  }
});

$('logout').addEventListener('click', () => showLogin());
$('refresh').addEventListener('click', () => void refresh());
$('range-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
$('export-csv').addEventListener('click', () => void exportCsv().catch((err) => ($('groups-message').textContent = `Export failed: ${err.message}`)));
$('delete-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void deleteGroup($('delete-group-id').value.trim().toLowerCase(), '');
});

const today = new Date();
$('range-to').value = isoDay(today);
$('range-from').value = isoDay(new Date(today.getTime() - 29 * 86400_000));

if (sessionStorage.getItem(TOKEN_KEY)) void showDashboard();
else showLogin();
