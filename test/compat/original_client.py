"""Speaks to a Whispr server exactly as the original Whispr desktop client does (utils/network.py):
PyNaCl sealed boxes and Ed25519 signatures, the same JSON bodies, no tokens.

usage: original_client.py keygen
       original_client.py send URL IDENTITY_JSON TO_HEX TEXT
       original_client.py inbox URL IDENTITY_JSON
       original_client.py upload URL IDENTITY_JSON TO_HEX NAME TEXT
"""
import base64
import hashlib
import json
import sys
import time
import urllib.request

from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def load(path):
    with open(path) as f:
        ident = json.load(f)
    return PrivateKey(bytes.fromhex(ident["x25519_secret"])), SigningKey(bytes.fromhex(ident["ed25519_seed"]))


def main(argv):
    cmd = argv[1]
    if cmd == "keygen":
        enc, sig = PrivateKey.generate(), SigningKey.generate()
        print(json.dumps({
            "x25519_secret": enc.encode().hex(), "x25519_public": enc.public_key.encode().hex(),
            "ed25519_seed": sig.encode().hex(), "ed25519_public": sig.verify_key.encode().hex(),
        }))
        return
    url, enc, sig = argv[2], *load(argv[3])
    my_pub = enc.public_key.encode().hex()
    if cmd == "send":
        to, text = argv[4], argv[5]
        ct = SealedBox(PublicKey(bytes.fromhex(to))).encrypt(text.encode("utf-8"))
        body = {"to": to, "from_": sig.verify_key.encode().hex(), "enc_pub": my_pub,
                "message": base64.b64encode(ct).decode(), "signature": base64.b64encode(sig.sign(ct).signature).decode(),
                "timestamp": time.time()}
        print(json.dumps(post(url + "/send", body)))
    elif cmd == "inbox":
        with urllib.request.urlopen(f"{url}/inbox/{my_pub}?since=0", timeout=10) as resp:
            items = json.loads(resp.read())["messages"]
        out = []
        for m in items:
            ct = base64.b64decode(m["message"])
            VerifyKey(bytes.fromhex(m["from"])).verify(ct, base64.b64decode(m["signature"]))
            out.append({"from": m["from"], "enc_pub": m["enc_pub"], "text": SealedBox(enc).decrypt(ct).decode("utf-8"), "timestamp": m["timestamp"]})
        print(json.dumps(out))
    elif cmd == "upload":
        to, name, data = argv[4], argv[5], argv[6].encode("utf-8")
        body = {"to": to, "from_": sig.verify_key.encode().hex(), "enc_pub": my_pub,
                "blob": base64.b64encode(data).decode(), "signature": base64.b64encode(sig.sign(data).signature).decode(),
                "name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        print(json.dumps(post(url + "/upload", body)))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
