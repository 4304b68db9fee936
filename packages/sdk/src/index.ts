export { generateIdentity, exportIdentity, importIdentity, x25519KeyPair, type Identity, type KeyPair, type ExportedIdentity } from './keys.js';
export { seal, openSealed, sign, verify } from './crypto.js';
export { toHex, fromHex, toBase64, fromBase64, utf8, text } from './encoding.js';
export { WhisprError } from './http.js';
export { PushSubscription, type PushSubscriptionOptions } from './push-subscription.js';
export {
  WhisprClient,
  type InboxMessage,
  type PushEvent,
  type SendBody,
  type SendResult,
  type SentFile,
  type PreparedFile,
  type ReceivedFile,
  type UploadBody,
  type KeyType,
  type WhisprClientOptions,
  type TurnCredentials,
} from './whispr-client.js';
export { fileEnvelopeOf, type FileEnvelope } from './file-envelope.js';
export { ENCRYPTED_FILE_OVERHEAD } from './file-crypto.js';
export { GroupClient, type GroupInfo, type GroupMessageItem, type MemberKeys } from './group-client.js';
export { newGroupKey, encryptForGroup, decryptFromGroup } from './group-crypto.js';
export { AccountClient, encryptedMessage, type AccountSocketOptions, type PrekeyBundle, type PrekeySecrets } from './account-client.js';
export { ChatEventsClient, type ChatEvent, type NewChatEvent, type PostedEvent } from './chat-events-client.js';
export { newCallInvite, callInviteOf, encodeCallInvite, type CallInvite } from './call-invite.js';
export { CallSignaling, type CallRole, type CallSignal, type CallSignalingHandlers } from './call-signaling.js';
export { RoomClient, TYPING_REFRESH_MS, type RoomEvent, type RoomJoinOptions, type RoomLimits, type RoomMember } from './room-client.js';
export { ROOM_KDF, deriveRoomKey, encryptRoomContent, decryptRoomContent, type RoomContent, type RoomKey } from './room-crypto.js';
