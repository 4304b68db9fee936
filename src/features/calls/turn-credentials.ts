import { createHmac } from 'node:crypto';
import type { TurnCredentials } from 'whispr-sdk/wire';

export interface TurnConfig {
  /** coturn's static-auth-secret (use-auth-secret); empty: TURN not configured. */
  secret: string;
  urls: readonly string[];
  ttlSeconds: number;
  stunUrls: readonly string[];
}

/**
 * Time-limited TURN credentials in the TURN REST scheme coturn's `use-auth-secret` checks:
 * username = "<expiry unix seconds>:<user>", credential = base64(HMAC-SHA1(secret, username)).
 */
export function issueTurnCredentials(config: TurnConfig, user: string, nowSeconds: number): TurnCredentials {
  const username = `${Math.floor(nowSeconds) + config.ttlSeconds}:${user}`;
  const credential = createHmac('sha1', config.secret).update(username).digest('base64');
  const urls = [...config.urls];
  return {
    urls,
    username,
    credential,
    ttl: config.ttlSeconds,
    ice_servers: [...(config.stunUrls.length > 0 ? [{ urls: [...config.stunUrls] }] : []), { urls, username, credential }],
  };
}
