// The codec endpoint's pure parts: decryption with current and former keys, redaction of secret
// fields, the protocol's JSON form, and the checks of an OIDC access token and its required claim.
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { EncryptionCodec, keyId } from '../../lib/payload-encryption';
import {
  checkClaims,
  checkSignature,
  LEEWAY_SECONDS,
  parseToken,
  TokenError,
  verificationKeys,
} from '../../codec/jwt';
import { checkRequiredClaim, InsufficientClaimError } from '../../codec/claims';
import { createOidcVerifier, IssuerUnavailableError } from '../../codec/oidc';
import { PayloadBodyError, payloadsFromBody, payloadToJson } from '../../codec/payload-json';
import {
  createRedactingCodec,
  KEY_ID_METADATA,
  PayloadDecodeError,
  redactPayload,
} from '../../codec/redacting-codec';
import { parseRequiredClaim } from '../../config/required-claim';
import { REDACTED } from '../../shared/secret-fields';

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);

const registration = {
  email: 'ada@example.org',
  firstName: 'Ada',
  lastName: 'Lovelace',
  project: 'analytical-engine',
  pin: '4821',
  step: 'waiting-for-password',
  reason: 'approved by the sponsor',
  createdAt: '2025-03-01T10:00:00.000Z',
  mail: { setpassToken: 'tok-123', to: ['ada@example.org'] },
  keystone: { user: { name: 'ada', password: 'Temp-0rary' } },
  attempts: [{ Password: 'hunter2', at: '2025-03-02T10:00:00.000Z' }, { token: 'tok-456' }],
};

test('decode redacts PIN, token, setpassToken and password at any depth; the rest stays', async () => {
  const key = randomBytes(32);
  const encrypted = await new EncryptionCodec(key).encode([toPayload(registration)]);
  const [decoded] = await createRedactingCodec(key).decode(encrypted);
  assert.deepEqual(fromPayload(decoded!), {
    ...registration,
    pin: REDACTED,
    mail: { setpassToken: REDACTED, to: ['ada@example.org'] },
    keystone: { user: { name: 'ada', password: REDACTED } },
    attempts: [{ Password: REDACTED, at: '2025-03-02T10:00:00.000Z' }, { token: REDACTED }],
  });
});

test('payloads that are not JSON pass through untouched; JSON that does not parse is hidden', async () => {
  const key = randomBytes(32);
  const codec = createRedactingCodec(key);
  const binary = toPayload(new Uint8Array([1, 2, 3]));
  const nothing = toPayload(undefined);
  const decoded = await codec.decode(await new EncryptionCodec(key).encode([binary, nothing]));
  assert.deepEqual(decoded.map(payloadToJson), [binary, nothing].map(payloadToJson));
  assert.deepEqual(redactPayload(binary), binary);
  const broken: Payload = {
    metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain') },
    data: Buffer.from('{"pin": "48'),
  };
  assert.equal(fromPayload(redactPayload(broken)), REDACTED);
  // A payload that was never encrypted is redacted all the same.
  assert.deepEqual(fromPayload((await codec.decode([toPayload({ pin: '1' })]))[0]!), {
    pin: REDACTED,
  });
});

test('payloads written before a key rotation decode with the former key', async () => {
  const old = randomBytes(32);
  const current = randomBytes(32);
  const written = await new EncryptionCodec(old).encode([toPayload({ email: 'a@example.org' })]);
  const codec = createRedactingCodec(current, [old.toString('base64')]);
  assert.deepEqual(fromPayload((await codec.decode(written))[0]!), { email: 'a@example.org' });
});

test('an unknown key id is a clear error naming the key and the setting', async () => {
  const stranger = randomBytes(32);
  const current = randomBytes(32);
  const written = await new EncryptionCodec(stranger).encode([toPayload({ pin: '1234' })]);
  assert.equal(
    Buffer.from(written[0]!.metadata![KEY_ID_METADATA]!).toString(),
    keyId(stranger),
    'KEY_ID_METADATA is where EncryptionCodec writes the key id',
  );
  await assert.rejects(
    createRedactingCodec(current).decode(written),
    (err: unknown) =>
      err instanceof PayloadDecodeError &&
      err.message.includes(`codec key ${keyId(stranger)}`) &&
      err.message.includes(keyId(current)) &&
      err.message.includes('previous_codec_keys') &&
      !err.message.includes('1234'),
  );
});

test('an altered payload is refused, not shown', async () => {
  const key = randomBytes(32);
  const [payload] = await new EncryptionCodec(key).encode([toPayload({ pin: '1234' })]);
  const data = Buffer.from(payload!.data!);
  data[20] = data[20]! ^ 1;
  await assert.rejects(
    createRedactingCodec(key).decode([{ ...payload, data }]),
    /payloads\[0\] does not decrypt .*corrupt or was altered/,
  );
});

test('encode encrypts with the current key and redacts nothing', async () => {
  const old = randomBytes(32);
  const current = randomBytes(32);
  const codec = createRedactingCodec(current, [old.toString('base64')]);
  const [encoded] = await codec.encode([toPayload({ pin: '1234' })]);
  assert.equal(Buffer.from(encoded!.metadata![KEY_ID_METADATA]!).toString(), keyId(current));
  const [plain] = await new EncryptionCodec(current).decode([encoded!]);
  assert.deepEqual(fromPayload(plain!), { pin: '1234' });
});

test('the protocol JSON: base64 metadata and data, both ways; bad bodies named', () => {
  const payload = toPayload({ email: 'a@example.org' });
  const json = payloadToJson(payload);
  assert.equal(json.metadata.encoding, Buffer.from('json/plain').toString('base64'));
  const [back] = payloadsFromBody(JSON.stringify({ payloads: [json] }));
  assert.deepEqual(fromPayload(back!), { email: 'a@example.org' });
  assert.deepEqual(payloadToJson(toPayload(undefined)), {
    metadata: { encoding: Buffer.from('binary/null').toString('base64') },
  });
  const refused = (text: string, reason: RegExp) =>
    assert.throws(
      () => payloadsFromBody(text),
      (err: unknown) => {
        assert.ok(err instanceof PayloadBodyError);
        assert.match(err.message, reason);
        return true;
      },
    );
  // What the temporal CLI sends for a workflow started without arguments (protobuf JSON).
  assert.deepEqual(payloadsFromBody('{}'), []);
  refused('{"payloads": [', /not valid JSON/);
  refused('{"payload": []}', /"payloads" array/);
  refused('[]', /"payloads" array/);
  refused('{"payloads": [1]}', /payloads\[0\] must be an object/);
  refused('{"payloads": [{"metadata": {"encoding": 5}}]}', /payloads\[0\]\.metadata\.encoding/);
  refused('{"payloads": [{"data": "not base64!"}]}', /payloads\[0\]\.data must be a base64/);
});

// --- access tokens ---

const ISSUER = 'https://login.example.org/realms/kaizen';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = {
  keys: [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig', alg: 'RS256' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' },
    { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
  ],
};
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: Record<string, unknown>, key: KeyObject, header: Record<string, unknown>) {
  const signed = `${b64(header)}.${b64(claims)}`;
  const signature =
    header.alg === 'ES256'
      ? sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' })
      : createSign('sha256').update(signed).sign(key);
  return `${signed}.${signature.toString('base64url')}`;
}

const NOW = Date.parse('2025-03-01T10:00:00Z');
const good = { iss: ISSUER, sub: 'admin-1', aud: ['temporal-ui'], exp: NOW / 1000 + 300 };

test('RS256 and ES256 tokens verify against the JWKS; other keys and algorithms do not', () => {
  const keys = verificationKeys(jwks);
  assert.deepEqual(
    keys.map((k) => [k.kid, k.alg]),
    [
      ['rsa-1', 'RS256'],
      ['ec-1', 'ES256'],
    ],
  );
  checkSignature(parseToken(jwt(good, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })), keys);
  checkSignature(parseToken(jwt(good, ec.privateKey, { alg: 'ES256', kid: 'ec-1' })), keys);
  checkSignature(parseToken(jwt(good, ec.privateKey, { alg: 'ES256' })), keys); // no kid

  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.throws(
    () =>
      checkSignature(parseToken(jwt(good, other.privateKey, { alg: 'RS256', kid: 'rsa-1' })), keys),
    /invalid token signature/,
  );
  assert.throws(
    () =>
      checkSignature(parseToken(jwt(good, other.privateKey, { alg: 'RS256', kid: 'new' })), keys),
    /unknown key/,
  );
  const tampered = jwt(good, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }).split('.');
  tampered[1] = b64({ ...good, sub: 'root' });
  assert.throws(
    () => checkSignature(parseToken(tampered.join('.')), keys),
    /invalid token signature/,
  );

  const unsigned = `${b64({ alg: 'none' })}.${b64(good)}.`;
  assert.throws(() => parseToken(unsigned), /algorithm "none" is not accepted/);
  assert.throws(
    () => parseToken(`${b64({ alg: 'HS256', kid: 'hmac' })}.${b64(good)}.x`),
    TokenError,
  );
  assert.throws(() => parseToken('not-a-jwt'), /malformed token/);
});

test('claims: issuer, expiry and not-before with 60 s leeway, and always the audience', () => {
  const rules = { issuer: ISSUER, audience: 'temporal-ui', now: NOW };
  checkClaims(good, rules);
  checkClaims({ ...good, aud: 'temporal-ui' }, rules);
  checkClaims({ ...good, exp: NOW / 1000 - LEEWAY_SECONDS + 1 }, rules);
  checkClaims({ ...good, nbf: NOW / 1000 + LEEWAY_SECONDS - 1 }, rules);
  const refused = (claims: Record<string, unknown>, reason: RegExp) =>
    assert.throws(
      () => checkClaims(claims, rules),
      (err: unknown) => {
        assert.ok(err instanceof TokenError);
        assert.match(err.message, reason);
        return true;
      },
    );
  refused({ ...good, exp: NOW / 1000 - LEEWAY_SECONDS - 1 }, /token expired/);
  refused({ ...good, exp: undefined }, /no expiry/);
  refused({ ...good, nbf: NOW / 1000 + LEEWAY_SECONDS + 1 }, /not valid yet/);
  refused({ ...good, iss: `${ISSUER}/` }, /issuer mismatch/);
  refused({ ...good, aud: ['account'] }, /audience mismatch.*"account".*"temporal-ui"/);
  refused({ ...good, aud: undefined }, /audience mismatch.*null.*"temporal-ui"/);
  assert.throws(
    () => createOidcVerifier({ issuer: ISSUER, audience: '' }),
    /\[codec\] oidc_audience/,
    'no verifier that accepts every audience',
  );
});

test('the required claim: a string or a list of strings, found by a dotted path', () => {
  const rule = (text: string) => {
    const parsed = parseRequiredClaim(text);
    assert.ok('rule' in parsed && parsed.rule, text);
    return parsed.rule;
  };
  const groups = rule('groups=kaizen-admins');
  checkRequiredClaim({ ...good, groups: ['staff', 'kaizen-admins'] }, groups);
  checkRequiredClaim({ ...good, groups: 'kaizen-admins' }, groups);
  const roles = rule('realm_access.roles=kaizen-admins');
  checkRequiredClaim(
    { ...good, realm_access: { roles: ['offline_access', 'kaizen-admins'] } },
    roles,
  );
  // Keycloak client roles: the client id may hold dots, and so may a namespaced claim's name.
  checkRequiredClaim(
    { ...good, resource_access: { 'ui.kaizen': { roles: ['admin'] } } },
    rule('resource_access.ui.kaizen.roles=admin'),
  );
  checkRequiredClaim(
    { ...good, 'https://kaizen.example.org/roles': ['admin'] },
    rule('https://kaizen.example.org/roles=admin'),
  );
  // scope is one space-separated string (RFC 8693); other strings must match whole.
  checkRequiredClaim({ ...good, scope: 'openid kaizen-codec email' }, rule('scope=kaizen-codec'));

  const refused = (claims: Record<string, unknown>, text: string, reason: RegExp) =>
    assert.throws(
      () => checkRequiredClaim(claims, rule(text)),
      (err: unknown) => {
        assert.ok(err instanceof InsufficientClaimError);
        assert.match(err.message, reason);
        return true;
      },
    );
  refused(
    { ...good, groups: ['staff'] },
    'groups=kaizen-admins',
    /^the token's groups claim does not include kaizen-admins, which \[codec\] required_claim requires/,
  );
  refused({ ...good, groups: 'kaizen-admins-readonly' }, 'groups=kaizen-admins', /not include/);
  refused({ ...good, groups: 'staff kaizen-admins' }, 'groups=kaizen-admins', /not include/);
  refused(
    good,
    'groups=kaizen-admins',
    /^the token has no groups claim, and \[codec\] required_claim requires it to include kaizen-admins: .*access tokens/,
  );
  refused(
    { ...good, realm_access: { roles: 'x' } },
    'realm_access.roles=kaizen-admins',
    /realm_access\.roles claim does not include kaizen-admins/,
  );
  refused(
    { ...good, realm_access: ['kaizen-admins'] },
    'realm_access.roles=kaizen-admins',
    /no realm_access\.roles claim/,
  );
  refused(
    { ...good, admin: true },
    'admin=true',
    /the token's admin claim is not a string or a list of strings/,
  );
  refused({ ...good, groups: [1, ['kaizen-admins']] }, 'groups=kaizen-admins', /not include/);
  // Inherited properties are not claims.
  refused(good, 'constructor=x', /no constructor claim/);
  refused({ ...good, groups: [] }, 'groups.length=0', /no groups\.length claim/);
});

test("the issuer's keys: fetched once, again for an unknown kid, at most every 30 s", async () => {
  let now = NOW;
  let published = [jwks.keys[0]];
  let fetched = 0;
  let up = true;
  const serve: typeof fetch = async (input) => {
    const url = String(input);
    if (!up) throw new Error('connect ECONNREFUSED');
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
    }
    if (url === `${ISSUER}/certs`) {
      fetched += 1;
      return Response.json({ keys: published });
    }
    return new Response('not found', { status: 404 });
  };
  const verifier = createOidcVerifier({
    issuer: ISSUER,
    audience: 'temporal-ui',
    fetch: serve,
    now: () => now,
  });
  const rsaToken = () =>
    jwt({ ...good, exp: now / 1000 + 300 }, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
  const ecToken = () =>
    jwt({ ...good, exp: now / 1000 + 300 }, ec.privateKey, { alg: 'ES256', kid: 'ec-1' });

  assert.equal((await verifier.verify(rsaToken())).sub, 'admin-1');
  await verifier.verify(rsaToken());
  assert.equal(fetched, 1, 'cached');

  published = jwks.keys; // the issuer rotates in a new key
  now += 10_000;
  await assert.rejects(verifier.verify(ecToken()), /unknown key/, 'within 30 s: not refetched');
  assert.equal(fetched, 1);
  now += 30_000;
  assert.equal((await verifier.verify(ecToken())).sub, 'admin-1', 'refetched for the new kid');
  assert.equal(fetched, 2);

  up = false;
  now += 60_000;
  await assert.rejects(
    verifier.verify(jwt(good, ec.privateKey, { alg: 'ES256', kid: 'x' })),
    IssuerUnavailableError,
  );
  assert.equal(
    (await verifier.verify(rsaToken())).sub,
    'admin-1',
    'known keys still work while the issuer is down',
  );

  const wrongIssuer = createOidcVerifier({
    issuer: `${ISSUER}/`,
    audience: 'temporal-ui',
    fetch: serve,
    now: () => now,
  });
  up = true;
  await assert.rejects(wrongIssuer.verify(rsaToken()), /names issuer .* set \[codec\] oidc_issuer/);
});
