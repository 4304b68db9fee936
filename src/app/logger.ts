import { pino, type Logger } from 'pino';

/** JSON logs on stdout. Secrets are redacted wherever a header or body might be logged by accident. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'whispr' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.access_token'], censor: '[redacted]' },
  });
}
