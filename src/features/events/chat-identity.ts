import type { IncomingHttpHeaders } from 'node:http';

/** Who a chat-app caller is, from their OIDC ID token (implemented by the chat feature's ChatAuth). */
export interface ChatIdentity {
  /** The user id of `Authorization: Bearer <ID token>`; throws a 401/503 ApiError otherwise. */
  caller(headers: IncomingHttpHeaders): Promise<string>;
  /** The user id of an ID token; throws a 401/503 ApiError otherwise. */
  userIdOfToken(token: string): Promise<string>;
}
