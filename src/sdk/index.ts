export { generateIdentity, exportIdentity, importIdentity, type Identity, type KeyPair, type ExportedIdentity } from './keys.js';
export { seal, openSealed, sign, verify } from './crypto.js';
export { WhisprError } from './http.js';
export { PushSubscription } from './push-subscription.js';
export { WhisprClient, type InboxMessage, type SendBody, type SendResult, type UploadBody, type KeyType, type WhisprClientOptions } from './whispr-client.js';
export { GroupClient, type GroupInfo, type GroupMessageItem, type MemberKeys } from './group-client.js';
export { newGroupKey, encryptForGroup, decryptFromGroup } from './group-crypto.js';
export { AccountClient, encryptedMessage, type PrekeyBundle, type PrekeySecrets } from './account-client.js';
export { ChatEventsClient, type ChatEvent, type NewChatEvent, type PostedEvent } from './chat-events-client.js';
