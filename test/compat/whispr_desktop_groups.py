"""Speaks to a Whispr server's /groups routes exactly as the original Whispr desktop client does
(utils/group_client.py, utils/group_manager.py, utils/group_crypto.py and the attachment calls in
gui/widgets/groups_panel.py of Akame1981/Whispr): the `requests` library, every parameter where that
client puts it (query string or JSON body), no tokens, and the client's own crypto: group keys
sealed to members with PyNaCl SealedBox, text under ChaCha20-Poly1305-IETF.

One process is one person. It reads one JSON command per line on standard input and writes one
JSON answer per line: {"ok": true, "value": ...} or {"ok": false, "status": HTTP status or null,
"body": the error answer}. A failed call is what the original client sees as raise_for_status().

Commands (each {"op": NAME, ...arguments}):
  whoami                                    -> this person's X25519 public key (hex)
  call  method path params json raw         -> one raw call, answer JSON (or bytes as base64)
  create_group name is_public               -> GroupManager.create_group: create + own sealed key v1
  join_via_invite invite_code               -> GroupManager.join_group_via_invite (opens its key)
  send_text group_id channel_id text        -> GroupManager.send_text with the held key
  fetch_texts group_id channel_id since     -> GroupManager.fetch_messages (decrypted)
  rekey_group group_id members              -> GroupManager.rekey_group
  reconcile group_id                        -> GroupManager.reconcile_member_keys
  upload_file group_id channel_id name data_b64 -> groups_panel: raw upload, then an ATTACH: message
  download group_id att_id                  -> the attachment download call, bytes as base64
  pick_up_key group_id                      -> re-reads its own sealed key; the version it now holds
  held_key group_id                         -> the key version this person holds, or null
"""
import base64
import json
import sys

import requests
from nacl.bindings import (
    crypto_aead_chacha20poly1305_ietf_decrypt,
    crypto_aead_chacha20poly1305_ietf_encrypt,
    crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
)
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.utils import random as random_bytes


class CallFailed(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


class Person:
    def __init__(self, server):
        self.server = server
        self.private_key = PrivateKey.generate()
        self.me = self.private_key.public_key.encode().hex()
        self.keys = {}  # group_id -> (key bytes, key_version): the client's local key store

    # ----- transport: as GroupClient does it (requests, raise_for_status, r.json()) -----
    def call(self, method, path, params=None, json_body=None, raw=None):
        r = requests.request(method, self.server + path, params=params, json=json_body, data=raw, timeout=10)
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = r.text
            raise CallFailed(r.status_code, body)
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return {"bytes_b64": base64.b64encode(r.content).decode()}

    # ----- the client's crypto (utils/group_crypto.py) -----
    @staticmethod
    def seal_key(key, member_hex):
        return base64.b64encode(SealedBox(PublicKey(bytes.fromhex(member_hex))).encrypt(key)).decode()

    def open_key(self, sealed_b64):
        return SealedBox(self.private_key).decrypt(base64.b64decode(sealed_b64))

    @staticmethod
    def encrypt(text, key):
        nonce = random_bytes(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
        ct = crypto_aead_chacha20poly1305_ietf_encrypt(text.encode(), b"", nonce, key)
        return base64.b64encode(ct).decode(), base64.b64encode(nonce).decode()

    @staticmethod
    def decrypt(ct_b64, nonce_b64, key):
        return crypto_aead_chacha20poly1305_ietf_decrypt(base64.b64decode(ct_b64), b"", base64.b64decode(nonce_b64), key).decode()

    # ----- GroupClient calls whose shape the manager flows reuse -----
    def update_member_key(self, group_id, user_id, sealed_b64, key_version):
        params = {"group_id": group_id, "user_id": user_id, "encrypted_key_b64": sealed_b64, "key_version": key_version}
        return self.call("POST", "/groups/members/keys/update", params=params)

    def member_keys(self, group_id):
        return self.call("GET", "/groups/members/keys", params={"group_id": group_id})

    def send_message(self, group_id, channel_id, ct_b64, nonce_b64, key_version, timestamp=None):
        payload = {"group_id": group_id, "channel_id": channel_id, "sender_id": self.me, "ciphertext": ct_b64, "nonce": nonce_b64, "key_version": key_version}
        if timestamp is not None:
            payload["timestamp"] = timestamp
        return self.call("POST", "/groups/messages/send", json_body=payload)

    # ----- GroupManager flows -----
    def create_group(self, name, is_public):
        res = self.call("POST", "/groups/create", json_body={"name": name, "is_public": is_public, "owner_id": self.me})
        key = random_bytes(32)
        self.keys[res["id"]] = (key, 1)
        self.update_member_key(res["id"], self.me, self.seal_key(key, self.me), 1)
        return res

    def join_via_invite(self, invite_code):
        res = self.call("POST", "/groups/join", json_body={"user_id": self.me, "invite_code": invite_code})
        if res.get("status") == "joined":
            self.pick_up_key(res.get("group_id"))
        return res

    def pick_up_key(self, group_id):
        """GroupManager._ensure_have_group_key: my own entry of /groups/members/keys, opened."""
        info = self.member_keys(group_id)
        version = int(info.get("key_version", 1))
        mine = next((m for m in info.get("members", []) if m.get("user_id") == self.me), None)
        if mine and mine.get("encrypted_group_key"):
            self.keys[group_id] = (self.open_key(mine["encrypted_group_key"]), version)
        return self.held_key(group_id)

    def held(self, group_id):
        if group_id not in self.keys:
            self.pick_up_key(group_id)
        return self.keys.get(group_id)

    def send_text(self, group_id, channel_id, text):
        held = self.held(group_id)
        if not held:
            raise CallFailed(None, "No group key for this group")
        key, version = held
        ct, nonce = self.encrypt(text, key)
        return self.send_message(group_id, channel_id, ct, nonce, version)

    def fetch_texts(self, group_id, channel_id, since):
        held = self.held(group_id)
        if not held:
            return []
        key, version = held
        res = self.call("POST", "/groups/messages/fetch", params={"user_id": self.me},
                        json_body={"group_id": group_id, "channel_id": channel_id, "since": since, "limit": 200})
        out = []
        for m in res.get("messages", []):
            if int(m.get("key_version", 0)) != int(version):
                continue  # the client skips other versions until it holds them
            try:
                text = self.decrypt(m.get("ciphertext"), m.get("nonce"), key)
            except Exception:
                continue
            out.append({"id": m.get("id"), "sender_id": m.get("sender_id"), "text": text, "timestamp": m.get("timestamp")})
        return out

    def rekey_group(self, group_id, members):
        version = int(self.call("POST", "/groups/rekey", params={"group_id": group_id, "user_id": self.me}).get("key_version", 1))
        key = random_bytes(32)
        self.keys[group_id] = (key, version)
        for uid in members:
            self.update_member_key(group_id, uid, self.seal_key(key, uid), version)
        return version

    def reconcile(self, group_id):
        role = self.call("GET", "/groups/channels/role", params={"group_id": group_id, "user_id": self.me}).get("role")
        if role not in ("owner", "admin"):
            return 0
        held = self.held(group_id)
        if not held:
            return 0
        key, version = held
        updated = 0
        for m in self.member_keys(group_id).get("members", []):
            uid = m.get("user_id")
            if uid and (not m.get("encrypted_group_key") or int(m.get("key_version") or 0) != int(version)):
                self.update_member_key(group_id, uid, self.seal_key(key, uid), int(version))
                updated += 1
        return updated

    def upload_file(self, group_id, channel_id, name, data_b64):
        data = base64.b64decode(data_b64)
        uploaded = self.call("POST", "/groups/attachments/upload", params={"group_id": group_id, "user_id": self.me}, raw=data)
        envelope = {"type": "file", "name": name, "att_id": uploaded.get("id"), "size": len(data)}
        self.send_text(group_id, channel_id, "ATTACH:" + json.dumps(envelope, separators=(",", ":")))
        return uploaded

    def download(self, group_id, att_id):
        return self.call("GET", f"/groups/attachments/{att_id}", params={"group_id": group_id, "user_id": self.me})["bytes_b64"]

    def held_key(self, group_id):
        held = self.keys.get(group_id)
        return None if held is None else held[1]


def run(person, cmd):
    op = cmd.pop("op")
    if op == "whoami":
        return person.me
    if op == "call":
        return person.call(cmd["method"], cmd["path"], cmd.get("params"), cmd.get("json"),
                           base64.b64decode(cmd["raw_b64"]) if "raw_b64" in cmd else None)
    return getattr(person, op)(**cmd)


def main():
    person = Person(sys.argv[1])
    for line in sys.stdin:
        try:
            answer = {"ok": True, "value": run(person, json.loads(line))}
        except CallFailed as failed:
            answer = {"ok": False, "status": failed.status, "body": failed.body}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
