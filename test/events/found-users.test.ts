import { describe, expect, test } from 'vitest';
import { rememberFoundUsers } from '../../src/features/events/found-users.js';

describe('rememberFoundUsers', () => {
  test('a user found is answered without another lookup; one not found is looked up every time; the oldest found goes first past capacity', async () => {
    const registered = new Set(['ann', 'bob', 'cy']);
    const looked: string[] = [];
    const isUser = rememberFoundUsers(async (id) => {
      looked.push(id);
      return registered.has(id);
    }, 2);
    expect(await isUser('ann')).toBe(true);
    expect(await isUser('ann')).toBe(true);
    expect(await isUser('zed')).toBe(false);
    expect(await isUser('zed')).toBe(false);
    expect(looked).toEqual(['ann', 'zed', 'zed']);
    // bob and cy fill the two places: ann, the oldest, must be looked up again.
    await isUser('bob');
    await isUser('cy');
    looked.length = 0;
    expect(await isUser('cy')).toBe(true);
    expect(await isUser('ann')).toBe(true);
    expect(looked).toEqual(['ann']);
  });
});
