import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { HEX_KEY_PATTERN } from '../../core/encoding.js';
import { badRequest } from '../../core/errors.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import { ID_PATTERN } from './group-ids.js';

/** Schemas of the values the group routes take. */
export const F = {
  key: Type.String({ pattern: HEX_KEY_PATTERN, description: 'X25519 public key, hex' }),
  id: Type.String({ pattern: ID_PATTERN, description: '32 hex characters' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  channelType: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,19}$' }),
  inviteCode: Type.String({ minLength: 1, maxLength: 64 }),
  text: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  flag: Type.Union([Type.Boolean(), Type.Integer(), Type.String({ maxLength: 5 })]),
  limit: Type.Integer({ minimum: 1, maximum: 100_000 }),
  timestamp: Type.Number({ minimum: 0, maximum: 1e11 }),
};

/**
 * The original client and server disagree on where some parameters go (query or JSON body), so
 * the group routes read each field from the body first, then the query; each schema below lists
 * every field as optional in both places and the handler says which are required.
 */
export function fields(props: Record<string, TSchema>) {
  const optional = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)]));
  return { querystring: Type.Object(optional), body: Type.Object(optional) };
}

/** For GET routes, which have no body. */
export function queryFields(props: Record<string, TSchema>) {
  return { querystring: fields(props).querystring };
}

export type Input = Record<string, unknown>;

export function readInput(request: FastifyRequest): Input {
  const body = request.body !== null && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? (request.body as Input) : {};
  return { ...(request.query as Input), ...body };
}

export function required<T = string>(input: Input, name: string): T {
  const value = input[name];
  if (value === undefined || value === null) throw badRequest('VALIDATION_FAILED', `${name} is required`);
  return value as T;
}

export const optional = <T = string>(input: Input, name: string): T | undefined => (input[name] ?? undefined) as T | undefined;

/** bool, 0/1 or "true"/"false"/"1"/"0"/"yes"/"no", as the original server accepted. */
export function requiredFlag(input: Input, name: string): boolean {
  const value = required<unknown>(input, name);
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw badRequest('VALIDATION_FAILED', `${name} must be true or false`);
}

/** The key the request acts for (see KeyAuthorizer.actor), named by `field` in compat mode. */
export function actorOf(authorizer: KeyAuthorizer, request: FastifyRequest, input: Input, field = 'user_id'): Promise<string> {
  return authorizer.actor(bearerToken(request.headers), optional(input, field), field);
}
