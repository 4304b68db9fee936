/** Shared by the chat-app tests: a server trusting a local OIDC provider, registered users, raw calls. */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { call, type ApiResponse, type CallOptions } from '../auth/api.js';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider.js';
import { startServer, type RunningServer } from '../support/test-server.js';

export interface ChatUser {
  id: string;
  token: string;
  publicKey: string;
}

/** A public key as a client would send it: canonical base64 of some bytes. */
export const publicKeyOf = (seed: string) => Buffer.from(`public key of ${seed}`).toString('base64');

/**
 * One server and one provider per test file. Every answer `api` gets is recorded; after the file,
 * none may have been a 5xx.
 */
export function useChatServer(overrides: Partial<Config> = {}) {
  const ctx = {} as { srv: RunningServer; oidc: OidcProvider };
  const statuses: number[] = [];
  let serial = 0;
  beforeAll(async () => {
    ctx.oidc = await startOidcProvider();
    ctx.srv = await startServer({ ...ctx.oidc.settings, ...overrides });
  });
  afterAll(async () => {
    await ctx.srv?.stop();
    await ctx.oidc?.close();
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });

  const api = async (method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> => {
    const response = await call(ctx.srv.url, method, path, options);
    statuses.push(response.status);
    return response;
  };

  /** A fresh subject with a valid ID token, not registered yet. */
  const signIn = async (name = 'user'): Promise<ChatUser> => {
    const sub = `${name}-${++serial}-${Date.now()}`;
    return {
      id: `user_${sub}`,
      token: await ctx.oidc.idToken(sub, { email: `${name}${serial}@example.org`, email_verified: true, name }),
      publicKey: publicKeyOf(sub),
    };
  };

  return {
    get srv() {
      return ctx.srv;
    },
    get oidc() {
      return ctx.oidc;
    },
    api,
    signIn,
    /** A registered user. */
    async user(name = 'user'): Promise<ChatUser> {
      const user = await signIn(name);
      const answer = await api('POST', '/api/register', { json: { google_id_token: user.token, public_key: user.publicKey } });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return user;
    },
  };
}
