import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../core/errors.js';
import { addressKey } from '../../http/address-key.js';
import { bearerToken } from '../../http/bearer-token.js';
import { type Budget, spend } from '../../http/budget.js';
import type { KeyAuthorizer } from '../auth/index.js';
import { readInput } from './group-input.js';

export interface GroupBudgets {
  /** Every write, per client address (the server-wide address budget). */
  address: Budget;
  /** Every write, per key. */
  writes: Budget;
  /** Joins and join requests, per key and per client address. */
  joins: { key: Budget; address: Budget };
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Where the group routes name the key they act for (compat mode), by route. */
const ACTOR_FIELDS = ['user_id', 'owner_id', 'sender_id'];

/**
 * Every /groups write spends its client address's budget before its body is read, then its key's
 * budget: the key the bearer token proves (strict) or the request names (compat). A write that
 * proves no key spends none; its route refuses it anyway.
 */
export function budgetGroupWrites(scope: FastifyInstance, authorizer: KeyAuthorizer, budgets: GroupBudgets): void {
  scope.addHook('onRequest', async (request) => {
    if (!READS.has(request.method)) await spend(budgets.address, addressKey(request.ip));
  });
  scope.addHook('preHandler', async (request) => {
    if (READS.has(request.method)) return;
    const writer = await writerOf(authorizer, request);
    if (writer !== undefined) await spend(budgets.writes, writer);
  });
}

/** A join or join request: the joins budgets of the key and of the client address. */
export async function spendJoin(joins: GroupBudgets['joins'], actor: string, request: FastifyRequest): Promise<void> {
  await spend(joins.address, addressKey(request.ip));
  await spend(joins.key, actor);
}

async function writerOf(authorizer: KeyAuthorizer, request: FastifyRequest): Promise<string | undefined> {
  const input = readInput(request);
  const asserted = ACTOR_FIELDS.map((field) => input[field]).find((value): value is string => typeof value === 'string');
  try {
    return await authorizer.actor(bearerToken(request.headers), asserted, 'user_id');
  } catch (err) {
    if (err instanceof ApiError) return undefined; // no proven key: the route answers why
    throw err;
  }
}
