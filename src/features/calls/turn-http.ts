import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { nowSeconds } from '../../core/clock.js';
import { ApiError, unauthorized } from '../../core/errors.js';
import { bearerToken } from '../../http/bearer-token.js';
import { issueTurnCredentials, type TurnConfig } from './turn-credentials.js';

/**
 * One kind of bearer token the TURN route accepts (a Whispr key token, a private-comm account token),
 * passed in at wiring time so that calls need not know how the token is made.
 */
export interface TurnCallers {
  /**
   * The identity a valid token of this kind was issued for, or undefined for any other token. The
   * identities of different kinds must not overlap: the TURN username names exactly one caller.
   */
  identityOf(token: string): Promise<string | undefined>;
}

/** The caller named by the first kind that accepts the token (kinds have their own audiences, so at most one does). */
async function callerOf(callers: readonly TurnCallers[], token: string | undefined): Promise<string> {
  if (token === undefined) {
    throw unauthorized(
      'TOKEN_REQUIRED',
      'A bearer token is required: a Whispr key token (POST /auth/token) or a private-comm account token (POST /api/v1/auth/token)',
    );
  }
  for (const kind of callers) {
    const identity = await kind.identityOf(token);
    if (identity !== undefined) return identity;
  }
  throw unauthorized('TOKEN_INVALID', 'The bearer token is invalid or expired');
}

/** GET /api/v1/turn-credentials: for signed-in callers only, in either security mode; the username names the caller. */
export const turnHttp: FastifyPluginAsync<{ turn: TurnConfig; callers: readonly TurnCallers[] }> = async (app, { turn, callers }) => {
  app.get(
    '/api/v1/turn-credentials',
    {
      schema: {
        tags: ['calls'],
        summary: 'Time-limited TURN credentials (coturn use-auth-secret) and the ICE servers to use',
        description: 'Authorization: Bearer with a Whispr key token (the username names the key) or a private-comm account token (it names the user_id).',
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            urls: Type.Array(Type.String()),
            username: Type.String(),
            credential: Type.String(),
            ttl: Type.Integer(),
            ice_servers: Type.Array(
              Type.Object({
                urls: Type.Union([Type.String(), Type.Array(Type.String())]),
                username: Type.Optional(Type.String()),
                credential: Type.Optional(Type.String()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const user = await callerOf(callers, bearerToken(request.headers));
      if (turn.secret === '' || turn.urls.length === 0)
        throw new ApiError(503, 'TURN_NOT_CONFIGURED', 'This server has no TURN relay configured (set TURN_SECRET and TURN_URLS)', 3600);
      return issueTurnCredentials(turn, user, nowSeconds());
    },
  );
};
