import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { BASE64_PATTERN, base64LengthFor } from '../../core/encoding.js';
import { FASTAPI_ROUTE } from '../../http/error-handler.js';
import type { ChatAuth } from './chat-auth.js';
import { MAX_PUBLIC_KEY_BYTES, type ChatUserService } from './chat-user-service.js';
import { USER_DOC, USER_ID, userDoc, userIdList, userIdsOf } from './chat-wire.js';
import { callerOf, requireSignIn } from './signed-in.js';

export interface ChatUsersHttpOptions {
  users: ChatUserService;
  auth: ChatAuth;
}

/** Most ids one public-keys lookup may name. */
const MAX_KEY_LOOKUP = 500;
// Google's ID tokens are about 1 KiB; other providers add claims, none comes close to this.
const MAX_ID_TOKEN_CHARS = 16_384;

const tags = ['chat-app'];
const security = [{ bearer: [] }];

/** The chat-app user routes: registration, the caller's profile, public keys and search. */
export const chatUsersHttp: FastifyPluginAsync<ChatUsersHttpOptions> = async (app, { users, auth }) => {
  const signedIn = { ...FASTAPI_ROUTE, onRequest: requireSignIn(app, auth) };

  app.post(
    '/api/register',
    {
      ...FASTAPI_ROUTE,
      schema: {
        tags,
        summary: "Register the ID token's user with their public key, or update the key (and display name) of a registered one",
        body: Type.Object({
          google_id_token: Type.String({ minLength: 1, maxLength: MAX_ID_TOKEN_CHARS, description: 'An OIDC ID token (Google by default)' }),
          public_key: Type.String({
            pattern: BASE64_PATTERN,
            minLength: 4,
            maxLength: base64LengthFor(MAX_PUBLIC_KEY_BYTES),
            description: 'Canonical standard base64',
          }),
          display_name: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: "Default: the token's name claim" })),
        }),
        response: { 200: USER_DOC },
      },
    },
    async (request) => {
      const body = request.body as { google_id_token: string; public_key: string; display_name?: string | null };
      // As the original (`display_name or name`), an empty display name means "none given".
      const user = await users.register({ idToken: body.google_id_token, publicKey: body.public_key, displayName: body.display_name || undefined });
      return userDoc(user);
    },
  );

  app.get(
    '/api/users/me',
    { ...signedIn, schema: { tags, security, summary: 'The calling user (404 until they register)', response: { 200: USER_DOC } } },
    async (request) => userDoc(await users.get(callerOf(request))),
  );

  app.get(
    '/api/users/:user_id/public-key',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: "A registered user's public key",
        params: Type.Object({ user_id: USER_ID }),
        response: { 200: Type.Object({ user_id: Type.String(), public_key: Type.String() }) },
      },
    },
    async (request) => users.publicKey((request.params as { user_id: string }).user_id),
  );

  app.post(
    '/api/users/public-keys',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: 'Public keys of several users (unregistered ids are left out)',
        body: userIdList(MAX_KEY_LOOKUP),
        response: { 200: Type.Object({ public_keys: Type.Record(Type.String(), Type.String()) }) },
      },
    },
    async (request) => ({ public_keys: await users.publicKeys(userIdsOf(request.body)) }),
  );

  app.get(
    '/api/users/search',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: 'Users whose email or display name contains q, ignoring case (at most 20)',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: Type.Object({ users: Type.Array(USER_DOC) }) },
      },
    },
    async (request) => ({ users: (await users.search((request.query as { q: string }).q)).map(userDoc) }),
  );
};
