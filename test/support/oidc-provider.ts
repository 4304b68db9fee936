/**
 * A local OIDC provider for the chat-app tests: a JWKS endpoint on 127.0.0.1 publishing an RS256
 * and an ES256 key, and ID tokens signed with them (or, on request, with keys it never published,
 * or with the wrong issuer, audience or expiry).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Config } from '../../src/config/settings.js';

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface IdTokenOptions {
  /** Default RS256. */
  alg?: SigningAlgorithm;
  /** Sign with a key of the same kid that the provider never published (a forgery). */
  foreignKey?: boolean;
  /** Default: the provider's issuer. */
  issuer?: string;
  /** Default: the provider's audience. */
  audience?: string;
  /** Seconds from now until `exp`; negative: already expired. Default 3600. */
  expiresIn?: number;
}

export interface OidcProvider {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** startServer overrides that make a server trust this provider. */
  settings: Pick<Config, 'oidc_jwks_url' | 'oidc_issuers' | 'oidc_audience'>;
  /** An ID token for `sub`, with `email`, `email_verified` and `name` claims unless `claims` replace them. */
  idToken(sub: string, claims?: Record<string, unknown>, options?: IdTokenOptions): Promise<string>;
  /** How many times the JWKS was fetched (servers should cache it). */
  jwksFetches(): number;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

const AUDIENCE = 'whispr-tests.apps.example.org';

async function signingKey(alg: SigningAlgorithm, kid: string): Promise<SigningKey> {
  return { kid, ...(await generateKeyPair(alg, { extractable: true })) };
}

export async function startOidcProvider(): Promise<OidcProvider> {
  const published = { RS256: await signingKey('RS256', 'rsa-1'), ES256: await signingKey('ES256', 'ec-1') };
  // Same kids as the published keys: the server finds "its" key and must reject the signature.
  const foreign = { RS256: await signingKey('RS256', 'rsa-1'), ES256: await signingKey('ES256', 'ec-1') };
  const jwks = JSON.stringify({
    keys: await Promise.all(
      (Object.entries(published) as [SigningAlgorithm, SigningKey][]).map(async ([alg, key]) => ({
        ...(await exportJWK(key.publicKey)),
        kid: key.kid,
        alg,
        use: 'sig',
      })),
    ),
  });

  let fetches = 0;
  const server = createServer((request, response) => {
    if (request.url !== '/jwks') return void response.writeHead(404).end();
    fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jwksUrl = `${issuer}/jwks`;

  return {
    jwksUrl,
    issuer,
    audience: AUDIENCE,
    settings: { oidc_jwks_url: jwksUrl, oidc_issuers: [issuer], oidc_audience: [AUDIENCE] },
    async idToken(sub, claims = { email: `${sub}@example.org`, email_verified: true, name: sub }, options = {}) {
      const alg = options.alg ?? 'RS256';
      const key = (options.foreignKey ? foreign : published)[alg];
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresIn ?? 3600))
        .sign(key.privateKey);
    },
    jwksFetches: () => fetches,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
