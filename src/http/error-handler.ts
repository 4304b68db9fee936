import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, errorBody } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Status of a schema violation: the dialects born on FastAPI (private-comm, chat-app) answer 422, as pydantic does. */
    validationStatus?: 400 | 422;
  }
}

/** Route options of a FastAPI-born dialect's route. */
export const FASTAPI_ROUTE = { config: { validationStatus: 422 } } as const;

/** Fastify's own client errors, mapped to stable Whispr error codes. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_CONTENT_LENGTH'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'INVALID_CONTENT_TYPE'],
};

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('Retry-After', String(Math.max(1, Math.ceil(err.retryAfter))));
  return reply.code(err.status).send(errorBody(err.code, err.detail));
}

/**
 * Fastify's `frameworkErrors`: router failures that never reach the error handler, in the Whispr
 * shape. A path segment longer than any id Whispr issues (maxParamLength) names nothing: 404.
 */
export function frameworkError(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') sendError(reply, new ApiError(404, 'NOT_FOUND', 'No such resource'));
  else sendError(reply, new ApiError(400, 'BAD_URL', error.message));
}

/** Every error leaves as {detail, error_code, timestamp}; only genuine server faults are 5xx, and only they are logged as errors. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    const mapped = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
    if (mapped !== undefined) return sendError(reply, new ApiError(mapped[0], mapped[1], error.message));
    if (error.validation !== undefined || error.code === 'FST_ERR_VALIDATION') {
      return sendError(reply, new ApiError(request.routeOptions.config.validationStatus ?? 400, 'VALIDATION_FAILED', error.message));
    }
    // JSON.parse failures and other client faults arrive with a 4xx statusCode.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, new ApiError(error.statusCode, 'BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, new ApiError(500, 'INTERNAL_ERROR', 'Internal server error'));
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new ApiError(404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)));
}
