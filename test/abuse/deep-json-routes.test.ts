/**
 * Deeply nested JSON bodies, sent by a stranger before any authentication, are 400 JSON_TOO_DEEP on
 * every kind of JSON route (direct messages, auth, groups, accounts, chat-app, events), at any
 * nesting past 64 and whatever the body limit; 64 levels are not refused for their depth. Nothing is
 * logged as an error and the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_INPUT_DEPTH } from '../../src/http/input-faults.js';
import { expectError, postText } from '../relay/helpers.js';
import { captureLog } from '../support/log-capture.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { deepest, nested, NESTINGS } from './nested-json.js';

const log = captureLog('warn');
let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ oidc_dev_tokens: true }, { logger: log.logger });
});
afterAll(async () => {
  await srv.stop();
  expect(log.errors()).toEqual([]);
});

// Each route with as deep a body as it reads: about 60 KB where its limit allows, else what fits in 1 KB.
const routes: Array<[string, number]> = [
  ['/send', 60_000],
  ['/upload', 60_000],
  ['/auth/challenge', 1_000],
  ['/auth/token', 1_000],
  ['/groups/create', 60_000],
  ['/groups/messages/send', 60_000],
  ['/api/v1/register', 60_000],
  ['/api/v1/auth/challenge', 1_000],
  ['/api/register', 60_000],
  ['/api/events', 60_000],
];

describe.each(routes)('POST %s', (path, bytes) => {
  test.each(NESTINGS)(`${bytes} bytes of nested %s are 400 JSON_TOO_DEEP`, async (kind) => {
    expectError(await postText(srv.url, path, deepest(bytes, kind)), 400, 'JSON_TOO_DEEP');
  });

  test('deep nesting inside a field of an object body is refused the same way', async () => {
    expectError(await postText(srv.url, path, `{"to":${deepest(bytes - 100, 'arrays')}}`), 400, 'JSON_TOO_DEEP');
  });
});

test(`${MAX_INPUT_DEPTH} levels are not refused for their depth, ${MAX_INPUT_DEPTH + 1} are`, async () => {
  // The body object is the first level.
  const within = await postText(srv.url, '/send', `{"to":${nested(MAX_INPUT_DEPTH - 1, 'arrays')}}`);
  expect(within.status).toBe(400);
  expect((within.body as { error_code: string }).error_code).toBe('VALIDATION_FAILED');
  expectError(await postText(srv.url, '/send', `{"to":${nested(MAX_INPUT_DEPTH, 'arrays')}}`), 400, 'JSON_TOO_DEEP');
});

test('the server keeps serving: a real send after all of it is delivered', async () => {
  const [alice, bob] = [srv.client(), srv.client()];
  const sent = await alice.send(bob.address, 'still here');
  expect((await bob.fetchInbox()).map((m) => m.id)).toEqual([sent.id]);
});
