import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { SqliteTokenStore } from '../../api/token-store-sqlite';
import { hashToken, isPinHash, newToken, RetiredKeyError, SecretBox } from '../../api/secrets';
import { EncryptionCodec } from '../../lib/payload-encryption';
import { temporaryPassword } from '../../activities/setpass/setpass-activities';

test('the payload codec round-trips and hides the plaintext', async () => {
  const codec = new EncryptionCodec(randomBytes(32));
  const payload = defaultPayloadConverter.toPayload({ pin: '7391', token: 'secret-token-value' });
  const [encoded] = await codec.encode([payload]);
  assert.ok(encoded);
  assert.equal(Buffer.from(encoded.metadata!.encoding!).toString(), 'binary/encrypted');
  assert.ok(!Buffer.from(encoded.data!).toString('latin1').includes('secret-token-value'));
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), {
    pin: '7391',
    token: 'secret-token-value',
  });
});

test('the codec decodes with a previous key during rotation and refuses an unknown key', async () => {
  const oldKey = randomBytes(32);
  const [sealed] = await new EncryptionCodec(oldKey).encode([
    defaultPayloadConverter.toPayload('x'),
  ]);
  const rotated = new EncryptionCodec(randomBytes(32), [oldKey]);
  assert.equal(defaultPayloadConverter.fromPayload((await rotated.decode([sealed!]))[0]!), 'x');
  await assert.rejects(new EncryptionCodec(randomBytes(32)).decode([sealed!]), /unknown codec key/);
});

test('temporary passwords and tokens carry at least 128 random bits and differ', () => {
  const a = temporaryPassword();
  assert.ok(Buffer.from(a, 'base64url').length * 8 >= 128);
  assert.notEqual(a, temporaryPassword());
  assert.ok(Buffer.from(newToken(), 'base64url').length * 8 >= 128);
});

test('PINs are keyed hashes bound to the user; passwords are sealed to the user', () => {
  const box = new SecretBox(randomBytes(32));
  const hash = box.pinHash('u1', '1234');
  assert.ok(!hash.includes('1234'));
  assert.equal(box.checkPin('u1', '1234', hash), 'match');
  assert.equal(box.checkPin('u1', '1235', hash), 'wrong');
  assert.equal(box.checkPin('u2', '1234', hash), 'wrong');
  assert.notEqual(new SecretBox(randomBytes(32)).pinHash('u1', '1234'), hash);
  const sealed = box.encrypt('u1', 'temp-pass');
  assert.equal(box.decrypt('u1', sealed), 'temp-pass');
  assert.throws(() => box.decrypt('u2', sealed));
});

test('a rotated setpass key: the former key still opens what it made until it is dropped', () => {
  const [k1, k2] = [randomBytes(32), randomBytes(32)];
  const before = new SecretBox(k1);
  const hash = before.pinHash('request-1', '1842');
  const sealed = before.encrypt('u1', 'temp-pass');
  assert.match(hash, /^[0-9a-f]{8}:[0-9a-f]{64}$/, 'the hash names its key');

  const rotated = new SecretBox(k2, [k1]);
  assert.equal(rotated.checkPin('request-1', '1842', hash), 'match');
  assert.equal(rotated.checkPin('request-1', '1843', hash), 'wrong');
  assert.equal(rotated.decrypt('u1', sealed), 'temp-pass');
  assert.ok(rotated.holdsKeyOf(hash));
  assert.notEqual(rotated.pinHash('request-1', '1842').slice(0, 8), hash.slice(0, 8));

  const dropped = new SecretBox(k2);
  assert.equal(dropped.checkPin('request-1', '1842', hash), 'retired-key', 'not a wrong PIN');
  assert.ok(!dropped.holdsKeyOf(hash));
  assert.throws(() => dropped.decrypt('u1', sealed), RetiredKeyError);

  // Hashes written before key ids carry none: every key held is tried.
  const bare = hash.slice(9);
  assert.equal(rotated.checkPin('request-1', '1842', bare), 'match');
  assert.equal(dropped.checkPin('request-1', '1842', bare), 'wrong');
  assert.ok(isPinHash(bare) && isPinHash(hash) && !isPinHash(`${hash}0`));
});

test('the token store keeps one live token per user and counts attempts', async () => {
  const store = new SqliteTokenStore(':memory:');
  const box = new SecretBox(randomBytes(32));
  const base = {
    userId: 'u1',
    pinHash: box.pinHash('u1', '1111'),
    passwordSealed: box.encrypt('u1', 'p'),
    workflowId: null,
    updatedAt: 1,
  };
  await store.put({ ...base, tokenHash: hashToken('t1') });
  assert.equal(await store.countFailedAttempt('u1'), 1);
  await store.put({ ...base, tokenHash: hashToken('t2') });
  assert.equal(await store.byTokenHash(hashToken('t1')), undefined, 'reissue kills the old token');
  assert.equal((await store.byUser('u1'))?.attempts, 0, 'reissue resets the attempt counter');
  assert.ok(await store.consume(hashToken('t2')));
  assert.ok(!(await store.consume(hashToken('t2'))), 'a token is single-use');
});
