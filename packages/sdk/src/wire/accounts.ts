// Wire shapes of the private-comm account dialect, imported by the server and by the SDK alike.

/** GET /api/v1/keys/{phone_hash}: an account's X3DH prekey bundle (keys base64). */
export interface PrekeyBundle {
  user_id: string;
  identity_key: string;
  signed_prekey: string;
  prekey_signature: string;
  one_time_prekey: { key_id: number; public_key: string } | null;
}
