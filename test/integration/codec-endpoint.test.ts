// The codec endpoint over real HTTP, as the Temporal Web UI and CLI call it; for auth = bearer, a
// small OIDC provider in this test serves discovery and JWKS and signs tokens with its own keys
// (Keycloak-shaped: the roles in realm_access.roles).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  createSign,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
  type KeyPairKeyObjectResult,
} from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, keyId } from '../../lib/payload-encryption';
import { payloadsFromBody, payloadToJson, type JsonPayload } from '../../codec/payload-json';
import { MAX_BODY_BYTES, startCodecServer, type RunningCodec } from '../../codec/server';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { REDACTED } from '../../shared/secret-fields';
import { freePort, startProcess } from '../support/processes';

const CODEC_KEY = randomBytes(32);
const OLD_KEY = randomBytes(32);
const UI = 'http://localhost:8233';

/** The example settings with test keys; no other service is needed. */
function settings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAIZEN_SETTINGS: 'example_settings.ini',
    KAIZEN_AUTH__ADMIN_PWD: 'unused',
    KAIZEN_SECRETS__CODEC_KEY: CODEC_KEY.toString('base64'),
    KAIZEN_SECRETS__SETPASS_KEY: randomBytes(32).toString('base64'),
    KAIZEN_SECRETS__PREVIOUS_CODEC_KEYS: OLD_KEY.toString('base64'),
    ...extra,
  };
}
const configWith = (extra: Record<string, string> = {}): Config => loadConfig(settings(extra));

const toJson = (value: unknown): JsonPayload =>
  payloadToJson(defaultPayloadConverter.toPayload(value));
const valueOf = (json: JsonPayload): unknown => {
  const [payload] = payloadsFromBody(JSON.stringify({ payloads: [json] }));
  return defaultPayloadConverter.fromPayload(payload!);
};
async function encrypted(value: unknown, key = CODEC_KEY): Promise<JsonPayload> {
  const [payload] = await new EncryptionCodec(key).encode([
    defaultPayloadConverter.toPayload(value),
  ]);
  return payloadToJson(payload!);
}

interface Answer {
  status: number;
  headers: Headers;
  body: { payloads?: JsonPayload[]; error?: string };
}

async function call(
  codec: RunningCodec,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; method?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${codec.url}${path}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = { error: text };
  }
  return { status: response.status, headers: response.headers, body };
}

const registration = {
  email: 'ada@example.org',
  project: 'analytical-engine',
  pin: '4821',
  step: 'waiting-for-password',
  mail: { setpassToken: 'tok-abc', to: 'ada@example.org' },
};

describe('codec endpoint, auth = none (the local dev setup)', () => {
  let codec: RunningCodec;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    codec = await startCodecServer(configWith(), {
      port: 0,
      log: (message, fields) => lines.push({ message, ...fields }),
    });
  });
  after(() => codec.close());

  test('decode shows who and what, and «redacted» for the PIN and the token', async () => {
    const answer = await call(codec, '/decode', {
      body: { payloads: [await encrypted(registration), await encrypted('plain', OLD_KEY)] },
      headers: { 'x-namespace': 'default', origin: UI },
    });
    assert.equal(answer.status, 200, answer.body.error);
    assert.equal(answer.headers.get('access-control-allow-origin'), UI);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.deepEqual(valueOf(answer.body.payloads![0]!), {
      ...registration,
      pin: REDACTED,
      mail: { setpassToken: REDACTED, to: 'ada@example.org' },
    });
    assert.equal(valueOf(answer.body.payloads![1]!), 'plain', 'a former key still decodes');
  });

  test('encode then decode gives back what was typed in, encrypted with the current key', async () => {
    const typed = { email: 'bob@example.org', reason: 'extend by a week' };
    const encoded = await call(codec, '/encode', { body: { payloads: [toJson(typed)] } });
    assert.equal(encoded.status, 200, encoded.body.error);
    const [wire] = payloadsFromBody(JSON.stringify(encoded.body));
    assert.equal(Buffer.from(wire!.metadata!['encryption-key-id']!).toString(), keyId(CODEC_KEY));
    const [plain] = await new EncryptionCodec(CODEC_KEY).decode([wire as Payload]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(plain!), typed);
    const decoded = await call(codec, '/decode', { body: encoded.body });
    assert.deepEqual(valueOf(decoded.body.payloads![0]!), typed);
  });

  test('refusals say why: unknown key, other namespace, bad JSON, no payloads, not JSON', async () => {
    const stranger = randomBytes(32);
    const unknown = await call(codec, '/decode', {
      body: { payloads: [await encrypted(registration, stranger)] },
    });
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body.error!,
      new RegExp(`codec key ${keyId(stranger)}.*previous_codec_keys`),
    );

    const namespace = await call(codec, '/decode', {
      body: { payloads: [] },
      headers: { 'x-namespace': 'billing' },
    });
    assert.equal(namespace.status, 400);
    assert.match(namespace.body.error!, /"billing".*namespace "default"/);

    const broken = await call(codec, '/decode', { body: '{"payloads": [' });
    assert.equal(broken.status, 400);
    assert.match(broken.body.error!, /not valid JSON/);
    const shapeless = await call(codec, '/decode', { body: { data: [] } });
    assert.equal(shapeless.status, 400);
    assert.match(shapeless.body.error!, /"payloads" array/);
    const text = await call(codec, '/decode', {
      body: '{"payloads": []}',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
  });

  test('browsers: a foreign origin gets 403 and no CORS headers; the UI gets its preflight', async () => {
    const foreign = await call(codec, '/decode', {
      body: { payloads: [await encrypted(registration)] },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body.error!, /https:\/\/evil\.example .*allowed_origins/);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.body.payloads, undefined);

    const preflight = await call(codec, '/decode', {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(
      preflight.headers.get('access-control-allow-headers'),
      'Content-Type, X-Namespace, Authorization, Authorization-Extras',
    );
    assert.match(preflight.headers.get('vary') ?? '', /Origin/);

    const foreignPreflight = await call(codec, '/encode', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8234', 'access-control-request-method': 'POST' },
    });
    assert.equal(foreignPreflight.status, 403);
    assert.equal(foreignPreflight.headers.get('access-control-allow-origin'), null);
  });

  test('a body over 4 MiB gets 413, declared or streamed', async () => {
    const big = JSON.stringify({ payloads: [{ metadata: {}, data: 'A'.repeat(5 * 1024 * 1024) }] });
    const declared = await call(codec, '/decode', { body: big });
    assert.equal(declared.status, 413);
    assert.match(declared.body.error!, /too large/);

    // Chunked, no Content-Length: the endpoint counts while reading and stops at the limit.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${codec.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 'A');
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_BODY_BYTES + chunk.length) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(streamed, 413);
  });

  test('health, unknown paths and methods', async () => {
    const health = await fetch(`${codec.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');
    assert.equal((await call(codec, '/api/decode', { body: { payloads: [] } })).status, 404);
    const get = await call(codec, '/decode', { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
  });

  test('one log line per request, never a payload', () => {
    const requests = lines.filter((l) => l.message === 'request');
    assert.ok(requests.length >= 10, `${requests.length} request lines`);
    for (const line of requests) {
      for (const field of ['method', 'path', 'status', 'ms', 'origin']) {
        assert.ok(field in line, `${field} in ${JSON.stringify(line)}`);
      }
    }
    const text = JSON.stringify(lines);
    for (const secret of ['ada@example.org', '4821', 'tok-abc', 'bob@example.org']) {
      assert.ok(!text.includes(secret), `${secret} in the log`);
    }
    assert.ok(requests.some((l) => l.status === 403 && l.origin === 'https://evil.example'));
  });
});

// --- auth = bearer against a real (small) OIDC provider ---

interface Provider {
  issuer: string;
  server: Server;
  keys: KeyPairKeyObjectResult;
  fetches: { discovery: number; jwks: number };
  token(claims?: Record<string, unknown>, key?: KeyObject): string;
}

async function startProvider(): Promise<Provider> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fetches = { discovery: 0, jwks: 0 };
  let issuer = '';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/realms/kaizen/.well-known/openid-configuration') {
      fetches.discovery += 1;
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
    } else if (req.url === '/realms/kaizen/protocol/openid-connect/certs') {
      fetches.jwks += 1;
      const jwk = keys.publicKey.export({ format: 'jwk' });
      res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', use: 'sig', alg: 'RS256' }] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}/realms/kaizen`;
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    issuer,
    server,
    keys,
    fetches,
    token(claims = {}, key = keys.privateKey) {
      const now = Math.floor(Date.now() / 1000);
      const body = {
        iss: issuer,
        sub: 'admin-7',
        aud: 'temporal-ui',
        exp: now + 300,
        realm_access: { roles: ['offline_access', 'kaizen-admins'] },
        ...claims,
      };
      const signed = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64(body)}`;
      return `${signed}.${createSign('sha256').update(signed).sign(key).toString('base64url')}`;
    },
  };
}

describe('codec endpoint, auth = bearer', () => {
  let provider: Provider;
  let codec: RunningCodec;
  const lines: Record<string, unknown>[] = [];
  const decode = async (headers: Record<string, string>) =>
    call(codec, '/decode', {
      body: { payloads: [await encrypted(registration)] },
      headers: { origin: UI, ...headers },
    });

  before(async () => {
    provider = await startProvider();
    codec = await startCodecServer(
      configWith({
        KAIZEN_CODEC__AUTH: 'bearer',
        KAIZEN_CODEC__OIDC_ISSUER: provider.issuer,
        KAIZEN_CODEC__OIDC_AUDIENCE: 'temporal-ui',
        KAIZEN_CODEC__REQUIRED_CLAIM: 'realm_access.roles=kaizen-admins',
      }),
      { port: 0, log: (message, fields) => lines.push({ message, ...fields }) },
    );
  });
  after(async () => {
    await codec.close();
    await new Promise((resolve) => provider.server.close(resolve));
  });

  test('no token: 401 with WWW-Authenticate, readable by the UI', async () => {
    const answer = await decode({});
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.match(answer.body.error!, /no bearer token/);
    assert.equal(answer.headers.get('access-control-allow-origin'), UI);
    const preflight = await call(codec, '/decode', {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204, 'a preflight carries no token and needs none');
  });

  test('a valid token decodes; the keys are fetched once and cached', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await decode({ authorization: `Bearer ${provider.token()}` });
      assert.equal(answer.status, 200, answer.body.error);
      assert.deepEqual(valueOf(answer.body.payloads![0]!), {
        ...registration,
        pin: REDACTED,
        mail: { setpassToken: REDACTED, to: 'ada@example.org' },
      });
    }
    assert.deepEqual(provider.fetches, { discovery: 1, jwks: 1 });
    assert.ok(lines.some((l) => l.status === 200 && l.subject === 'admin-7'));
  });

  test('refused: another key, expired, other issuer, other audience', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cases: [string, string, RegExp][] = [
      ['another key', provider.token({}, stranger.privateKey), /invalid token signature/],
      ['expired', provider.token({ exp: Math.floor(Date.now() / 1000) - 3600 }), /token expired/],
      ['other issuer', provider.token({ iss: 'https://elsewhere.example' }), /issuer mismatch/],
      ['other audience', provider.token({ aud: 'account' }), /audience mismatch/],
      ['no audience', provider.token({ aud: undefined }), /audience mismatch/],
      ['not a JWT', 'abc', /malformed token/],
    ];
    for (const [what, token, reason] of cases) {
      const answer = await decode({ authorization: `Bearer ${token}` });
      assert.equal(answer.status, 401, what);
      assert.match(answer.body.error!, reason, what);
      assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/, what);
      assert.equal(answer.body.payloads, undefined, what);
    }
  });

  test('a good token without the required role: 403 saying which, readable by the UI', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'another role',
        { realm_access: { roles: ['offline_access'] }, sub: 'user-3' },
        /^the token's realm_access\.roles claim does not include kaizen-admins, which \[codec\] required_claim requires/,
      ],
      [
        'no roles at all',
        { realm_access: undefined, sub: 'user-4' },
        /^the token has no realm_access\.roles claim, and \[codec\] required_claim requires it to include kaizen-admins/,
      ],
    ];
    for (const [what, claims, reason] of cases) {
      const answer = await decode({ authorization: `Bearer ${provider.token(claims)}` });
      assert.equal(answer.status, 403, what);
      assert.match(answer.body.error!, reason, what);
      assert.equal(answer.body.payloads, undefined, what);
      assert.equal(answer.headers.get('access-control-allow-origin'), UI, what);
      const challenge = answer.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer realm="kaizen-codec", error="insufficient_scope"/, what);
      assert.match(challenge, /error_description="the token.*kaizen-admins/, what);
    }
    const encode = await call(codec, '/encode', {
      body: { payloads: [toJson({ email: 'bob@example.org' })] },
      headers: { authorization: `Bearer ${provider.token({ realm_access: undefined })}` },
    });
    assert.equal(encode.status, 403, '/encode is guarded the same way');
    // The log says who was refused and why, so an admin can grant the role.
    assert.ok(
      lines.some(
        (l) =>
          l.status === 403 && l.subject === 'user-3' && /does not include/.test(String(l.reason)),
      ),
      JSON.stringify(lines.filter((l) => l.status === 403)),
    );
  });
});

describe('the codec process', () => {
  test('serves on [codec] listen and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const codec = await startProcess(
      'codec/server.ts',
      settings({ KAIZEN_CODEC__LISTEN: `127.0.0.1:${port}` }),
      /codec endpoint listening/,
    );
    try {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      assert.equal(await codec.stop('SIGTERM'), 0, codec.output());
    }
  });

  /** Runs the endpoint's process; a start-up refusal exits at once, a start is killed after 20 s. */
  const startUp = (extra: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'codec/server.ts'],
        { env: { ...process.env, ...settings(extra) }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? null) : 0,
            output: stdout + stderr,
          }),
      );
    });

  test('auth = none on 0.0.0.0 stops start-up and says why', async () => {
    const port = await freePort();
    const { code, output } = await startUp({ KAIZEN_CODEC__LISTEN: `0.0.0.0:${port}` });
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`\\[codec\\] auth = none with listen = 0\\.0\\.0\\.0:${port}`));
    assert.match(output, /loopback address .*or set \[codec\] auth = bearer/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing listens');
  });

  test('auth = bearer without an audience or a required claim stops start-up and says why', async () => {
    const port = await freePort();
    const { code, output } = await startUp({
      KAIZEN_CODEC__LISTEN: `0.0.0.0:${port}`,
      KAIZEN_CODEC__AUTH: 'bearer',
      KAIZEN_CODEC__OIDC_ISSUER: 'https://login.example.org/realms/kaizen',
    });
    assert.equal(code, 1, output);
    assert.match(
      output,
      /\[codec\] auth = bearer needs \[codec\] oidc_audience \(or KAIZEN_CODEC__OIDC_AUDIENCE\)/,
    );
    assert.match(
      output,
      /\[codec\] auth = bearer needs \[codec\] required_claim \(or KAIZEN_CODEC__REQUIRED_CLAIM\)/,
    );
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing listens');
  });
});
