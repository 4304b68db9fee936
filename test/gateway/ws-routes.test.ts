import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/core/errors.js';
import { WsRouteTable } from '../../src/http/ws-routes.js';

// The dialects' routes as the server registers them (registration order must not matter).
function serverTable(order: 'as-registered' | 'reversed') {
  const routes: [string, Parameters<WsRouteTable<string>['add']>[0]][] = [
    ['rooms', { path: '/rooms' }],
    ['rooms', { path: '/' }],
    ['rooms', { path: '/ws' }],
    ['signal', { path: '/signal' }],
    ['whispr', { under: '/ws', segment: /^[0-9a-f]{64}$/i }],
    ['whispr', { path: '/ws', query: 'recipient' }],
    ['account', { path: '/ws', query: 'token', unless: ['recipient'] }],
    ['events', { under: '/ws' }],
  ];
  const table = new WsRouteTable<string>();
  for (const [name, route] of order === 'reversed' ? routes.reverse() : routes) table.add(route, name, name);
  return table;
}

const KEY = 'ab'.repeat(32);
const at = (table: WsRouteTable<string>, path: string) => table.find(new URL(path, 'http://x.invalid'));

describe.each(['as-registered', 'reversed'] as const)('the /ws routing table (%s)', (order) => {
  const table = serverTable(order);

  test.each([
    ['/rooms', 'rooms'],
    ['/', 'rooms'],
    ['/ws', 'rooms'],
    ['/ws/', 'rooms'],
    ['/ws?room=x', 'rooms'],
    ['/signal/', 'signal'],
    [`/ws/${KEY}`, 'whispr'],
    [`/ws/${KEY.toUpperCase()}/`, 'whispr'],
    [`/ws?recipient=${KEY}`, 'whispr'],
    [`/ws?recipient=${KEY}&token=t`, 'whispr'],
    ['/ws?token=t', 'account'],
    ['/ws/user_dev_alice', 'events'],
    ['/ws/user%20with%20space', 'events'],
  ])('%s goes to %s', (path, dialect) => {
    expect(at(table, path)?.target).toBe(dialect);
  });

  test('a segment route hands over the segment as sent', () => {
    expect(at(table, '/ws/a%2Fb')?.request.segment).toBe('a%2Fb');
  });

  test.each(['/nowhere', '/ws/a/b', `/ws/${'x'.repeat(129)}`, '/signal/x'])('%s is no endpoint', (path) => {
    expect(at(table, path)).toBeUndefined();
  });
});

test('two dialects selected by one request is a 400, not whichever registered first', () => {
  const table = new WsRouteTable<string>();
  table.add({ path: '/ws', query: 'a' }, 'one', 'one');
  table.add({ path: '/ws', query: 'b' }, 'two', 'two');
  expect(() => at(table, '/ws?a=1&b=2')).toThrow(ApiError);
  expect(at(table, '/ws?b=2')?.target).toBe('two');
});

test('a route claimed twice is refused at registration', () => {
  const table = new WsRouteTable<string>();
  table.add({ path: '/ws' }, 'one', 'one');
  table.add({ under: '/ws' }, 'one', 'one');
  expect(() => table.add({ path: '/ws/' }, 'two', 'two')).toThrow(/already taken/);
  expect(() => table.add({ under: '/ws/' }, 'two', 'two')).toThrow(/already taken/);
});
