import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { nowSeconds } from '../../core/clock.js';
import { ApiError } from '../../core/errors.js';
import { bearerToken, type KeyAuthorizer } from '../auth/key-authorizer.js';
import { issueTurnCredentials, type TurnConfig } from './turn-credentials.js';

/** GET /api/v1/turn-credentials: for signed-in callers only, in either security mode. */
export const turnHttp: FastifyPluginAsync<{ turn: TurnConfig; authorizer: KeyAuthorizer }> = async (app, { turn, authorizer }) => {
  app.get(
    '/api/v1/turn-credentials',
    {
      schema: {
        tags: ['calls'],
        summary: 'Time-limited TURN credentials (coturn use-auth-secret) and the ICE servers to use',
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            urls: Type.Array(Type.String()),
            username: Type.String(),
            credential: Type.String(),
            ttl: Type.Integer(),
            ice_servers: Type.Array(Type.Object({ urls: Type.Union([Type.String(), Type.Array(Type.String())]), username: Type.Optional(Type.String()), credential: Type.Optional(Type.String()) })),
          }),
        },
      },
    },
    async (request) => {
      const user = await authorizer.tokenSubject(bearerToken(request.headers));
      if (turn.secret === '' || turn.urls.length === 0) throw new ApiError(503, 'TURN_NOT_CONFIGURED', 'This server has no TURN relay configured (set TURN_SECRET and TURN_URLS)', 3600);
      return issueTurnCredentials(turn, user, nowSeconds());
    },
  );
};
