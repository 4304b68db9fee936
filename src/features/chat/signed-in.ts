import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ChatAuth } from './chat-auth.js';

const CALLER = 'chatCaller';

/**
 * The onRequest hook of the signed-in chat routes of one plugin: the caller is known before the
 * body is read or validated, so a stranger gets 401 rather than a validation error (as in the
 * original, where the token dependency ran first). Declares the request slot on `scope`.
 */
export function requireSignIn(scope: FastifyInstance, auth: ChatAuth): onRequestHookHandler {
  scope.decorateRequest(CALLER, '');
  return async (request) => request.setDecorator(CALLER, await auth.caller(request.headers));
}

/** The user id the hook authenticated. */
export const callerOf = (request: FastifyRequest): string => request.getDecorator<string>(CALLER);
