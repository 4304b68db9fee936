import { expect, test } from 'vitest';
import { createEd25519Verifier } from '../../src/core/ed25519.js';
import { sign, generateIdentity } from 'whispr-sdk';

const backends = ['sodium-native', 'node:crypto'] as const;

test.each(backends)('%s accepts a valid signature and refuses every tampering', (backend) => {
  const verifier = createEd25519Verifier(backend);
  expect(verifier.backend).toBe(backend);
  const { signing } = generateIdentity();
  const message = Buffer.from('sealed box bytes');
  const signature = Buffer.from(sign(signing, message));
  const publicKey = Buffer.from(signing.publicKey);
  expect(verifier.verify(publicKey, message, signature)).toBe(true);
  expect(verifier.verify(publicKey, Buffer.from('sealed box byteS'), signature)).toBe(false);
  const flipped = Buffer.from(signature);
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  expect(verifier.verify(publicKey, message, flipped)).toBe(false);
  expect(verifier.verify(Buffer.from(generateIdentity().signing.publicKey), message, signature)).toBe(false);
  expect(verifier.verify(publicKey, message, signature.subarray(0, 63))).toBe(false);
  expect(verifier.verify(publicKey.subarray(0, 31), message, signature)).toBe(false);
});

test('sodium-native (the default) refuses a small-order key with a trivial signature', () => {
  // OpenSSL follows RFC 8032 and accepts this pair; libsodium rejects small-order points, which is
  // one reason it is the default backend.
  expect(createEd25519Verifier('sodium-native').verify(Buffer.alloc(32), Buffer.from('x'), Buffer.alloc(64))).toBe(false);
});
