import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { HEX_KEY_PATTERN } from '../../core/encoding.js';
import { addressKey } from '../../http/address-key.js';
import type { AuthService, ChallengeAnswer } from './auth-service.js';
import type { KeyType } from './challenge-store.js';

/** POST /auth/challenge and POST /auth/token: prove a key, get a short-lived bearer token. */
export const authHttp: FastifyPluginAsync<{ auth: AuthService; ipLimit: onRequestHookHandler }> = async (app, { auth, ipLimit }) => {
  app.post(
    '/auth/challenge',
    {
      onRequest: ipLimit,
      bodyLimit: 1024,
      schema: {
        summary: 'Start proving a key: get a nonce to sign (ed25519) or to open (x25519)',
        tags: ['auth'],
        body: Type.Object({
          key: Type.String({ pattern: HEX_KEY_PATTERN }),
          key_type: Type.Union([Type.Literal('ed25519'), Type.Literal('x25519')]),
        }),
        response: {
          200: Type.Object({
            challenge_id: Type.String(),
            key_type: Type.String(),
            nonce: Type.Optional(Type.String()),
            sealed_nonce: Type.Optional(Type.String()),
            expires_at: Type.Number(),
          }),
        },
      },
    },
    async (request) => {
      const { key, key_type } = request.body as { key: string; key_type: KeyType };
      return auth.challenge(key, key_type, addressKey(request.ip));
    },
  );

  app.post(
    '/auth/token',
    {
      onRequest: ipLimit,
      bodyLimit: 1024,
      schema: {
        summary: 'Answer a challenge; returns a bearer token whose subject is the proven key',
        tags: ['auth'],
        body: Type.Object({
          challenge_id: Type.String({ maxLength: 64 }),
          signature: Type.Optional(Type.String({ maxLength: 200 })),
          nonce: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('bearer'),
            expires_in: Type.Integer(),
            key: Type.String(),
            key_type: Type.String(),
          }),
        },
      },
    },
    async (request) => auth.token(request.body as ChallengeAnswer),
  );
};
