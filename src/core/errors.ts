/** An error a client caused or must know about; rendered as {detail, error_code, timestamp}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** Seconds, sent as Retry-After (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(detail);
  }
}

export const badRequest = (code: string, detail: string) => new ApiError(400, code, detail);
export const unauthorized = (code: string, detail: string) => new ApiError(401, code, detail);
export const forbidden = (code: string, detail: string) => new ApiError(403, code, detail);
export const notFound = (code: string, detail: string) => new ApiError(404, code, detail);
export const tooLarge = (code: string, detail: string) => new ApiError(413, code, detail);
export const tooMany = (code: string, detail: string, retryAfter: number) => new ApiError(429, code, detail, retryAfter);
export const unavailable = (code: string, detail: string, retryAfter = 1) => new ApiError(503, code, detail, retryAfter);

export interface ErrorBody {
  detail: string;
  error_code: string;
  timestamp: number;
}

export function errorBody(code: string, detail: string, now = Date.now()): ErrorBody {
  return { detail, error_code: code, timestamp: now / 1000 };
}
