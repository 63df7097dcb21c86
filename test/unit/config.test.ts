import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../config/duration';
import { ConfigError, parseConfig } from '../../config/load';
import { parseRequiredClaim } from '../../config/required-claim';
import { connectionOptions } from '../../lib/temporal';

const KEY = Buffer.alloc(32, 7).toString('base64');
const minimal = () => ({
  auth: { auth_url: 'http://127.0.0.1:5000/v3', admin_pwd: 'pw' },
  secrets: { codec_key: KEY, setpass_key: KEY },
});

function problems(ini: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(ini, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

test('durations read the way operators write them', () => {
  assert.equal(parseDuration('48h'), 48 * 3_600_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('7 d'), 7 * 86_400_000);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(formatDuration(48 * 3_600_000), '2 days');
  assert.equal(formatDuration(3_600_000), '1 hour');
});

test('a minimal file gets defaults, converted to their types', () => {
  const config = parseConfig(minimal(), {});
  assert.equal(config.setpass.token_expiration, 48 * 3_600_000);
  assert.equal(config.setpass.max_attempts, 3);
  assert.equal(config.auth.member_role, 'member');
  assert.equal(config.secrets.codec_key.length, 32);
});

test('environment overrides the file', () => {
  const config = parseConfig(minimal(), {
    KAIZEN_SETPASS__MAX_ATTEMPTS: '5',
    KAIZEN_AUTH__ADMIN_PWD: 'env',
  });
  assert.equal(config.setpass.max_attempts, 5);
  assert.equal(config.auth.admin_pwd, 'env');
});

test('a missing required key is named with its environment variable', () => {
  const found = problems({ secrets: minimal().secrets, auth: { auth_url: 'http://x/v3' } });
  assert.equal(found.length, 1);
  assert.match(found[0]!, /\[auth\] admin_pwd \(or KAIZEN_AUTH__ADMIN_PWD\) is required/);
});

test('wrong values name the key and what is expected; secrets are not echoed', () => {
  const ini = minimal();
  Object.assign(ini, {
    setpass: { token_expiration: 'two days', max_attempts: '0', setpass_url: 'ftp://x' },
  });
  ini.secrets.codec_key = 'c2hvcnQ=';
  const found = problems(ini);
  assert.ok(
    found.some((p) => /token_expiration .* expected a positive duration/.test(p)),
    found.join('\n'),
  );
  assert.ok(found.some((p) => /max_attempts .* whole number between 1 and 100/.test(p)));
  assert.ok(found.some((p) => /setpass_url .* http:\/\/ or https:\/\/ URL/.test(p)));
  const codec = found.find((p) => p.includes('codec_key'));
  assert.ok(codec && codec.includes('***') && !codec.includes('c2hvcnQ='), codec);
});

test('typos in keys, sections and environment names are reported, not ignored', () => {
  const ini = { ...minimal(), auht: {}, setpass: { max_attempt: '3' } };
  const found = problems(ini, { KAIZEN_SETPASS__PROT: '1' });
  assert.ok(found.some((p) => p.includes('unknown section [auht]')));
  assert.ok(found.some((p) => p.includes('unknown key [setpass] max_attempt')));
  assert.ok(found.some((p) => p.includes('KAIZEN_SETPASS__PROT names no setting')));
});

test('quota keys: defaults, unset ones left out, Nova-refused keys explained', () => {
  const config = parseConfig(minimal(), { KAIZEN_QUOTAS__RAM: '1024' });
  assert.equal(config.quotas.cores, 20);
  assert.equal(config.quotas.ram, 1024);
  assert.equal(config.quotas.backups, undefined);
  const found = problems({
    ...minimal(),
    quotas: { injected_files: '5', fixed_ips: '1', cpus: '2' },
  });
  assert.ok(
    found.some((p) => /\[quotas\] injected_files cannot be set: .*2\.57/.test(p)),
    found.join('\n'),
  );
  assert.ok(found.some((p) => /\[quotas\] fixed_ips cannot be set: .*Neutron/.test(p)));
  assert.ok(found.some((p) => /unknown key \[quotas\] cpus/.test(p)));
  assert.ok(problems(minimal(), { KAIZEN_QUOTAS__CORES: '-2' }).some((p) => /cores/.test(p)));
});

test('the reminder schedule: increasing durations, ending before the abandon deadline', () => {
  const config = parseConfig(minimal(), {});
  assert.deepEqual(
    config.reminder.schedule,
    [1, 3, 7].map((d) => d * 86_400_000),
  );
  assert.equal(config.reminder.abandon_after, 14 * 86_400_000);
  assert.deepEqual(
    parseConfig({ ...minimal(), reminder: { schedule: 'none' } }, {}).reminder.schedule,
    [],
    'none: no reminders',
  );
  assert.match(
    problems({ ...minimal(), reminder: { schedule: '3d, 1d' } }).join('\n'),
    /\[reminder\] schedule .* increasing order/,
  );
  assert.match(
    problems({ ...minimal(), reminder: { schedule: '1d, soon' } }).join('\n'),
    /\[reminder\] schedule .* comma-separated durations/,
  );
  assert.match(
    problems({ ...minimal(), reminder: { schedule: '1d, 20d' } }).join('\n'),
    /abandon_after must be later than the last time/,
  );
});

test('a secret can come from a file named by KAIZEN_<SECTION>__<KEY>_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-secret-'));
  const file = join(dir, 'admin_pwd');
  writeFileSync(file, 's3cret-from-file\n');
  const config = parseConfig(
    { ...minimal(), auth: { auth_url: 'http://127.0.0.1:5000/v3' } },
    { KAIZEN_AUTH__ADMIN_PWD_FILE: file },
  );
  assert.equal(config.auth.admin_pwd, 's3cret-from-file', 'the trailing newline is dropped');
  // [intake] local_file is a setting of its own, not a reference to a file.
  assert.equal(
    parseConfig(minimal(), { KAIZEN_INTAKE__LOCAL_FILE: '/data/r.xlsx' }).intake.local_file,
    '/data/r.xlsx',
  );
  assert.match(
    problems(minimal(), { KAIZEN_AUTH__ADMIN_PWD_FILE: join(dir, 'missing') }).join('\n'),
    /KAIZEN_AUTH__ADMIN_PWD_FILE names .*missing, which cannot be read/,
  );
  assert.match(
    problems(minimal(), { KAIZEN_AUTH__ADMIN_PWD_FILE: file, KAIZEN_AUTH__ADMIN_PWD: 'x' }).join(
      '\n',
    ),
    /set KAIZEN_AUTH__ADMIN_PWD or KAIZEN_AUTH__ADMIN_PWD_FILE, not both/,
  );
});

test('Temporal connection: plain by default; TLS, mTLS and API key from settings', () => {
  assert.deepEqual(connectionOptions(parseConfig(minimal(), {})), { address: '127.0.0.1:7233' });
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-tls-'));
  for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(join(dir, name), name);
  const options = connectionOptions(
    parseConfig(
      {
        ...minimal(),
        temporal: {
          address: 'ns.acct.tmprl.cloud:7233',
          server_ca_file: join(dir, 'ca.pem'),
          client_cert_file: join(dir, 'client.pem'),
          client_key_file: join(dir, 'client.key'),
          server_name: 'frontend.example.org',
          api_key: 'key-123',
        },
      },
      {},
    ),
  );
  assert.equal(options.apiKey, 'key-123');
  assert.equal(options.tls?.serverNameOverride, 'frontend.example.org');
  assert.equal(options.tls?.serverRootCACertificate?.toString(), 'ca.pem');
  assert.equal(options.tls?.clientCertPair?.key.toString(), 'client.key');
  assert.deepEqual(
    connectionOptions(parseConfig({ ...minimal(), temporal: { tls: 'true' } }, {})).tls,
    {},
    'tls = true alone: system CAs',
  );
  assert.match(
    problems({ ...minimal(), temporal: { client_cert_file: join(dir, 'client.pem') } }).join('\n'),
    /client_cert_file and client_key_file go together/,
  );
});

test('former codec keys must be keys, and are never echoed', () => {
  const bad = problems({
    ...minimal(),
    secrets: { ...minimal().secrets, previous_codec_keys: `${KEY}, nope` },
  });
  assert.match(bad.join('\n'), /previous_codec_keys: key 2 is not base64 of 32 bytes/);
  assert.ok(!bad.join('\n').includes(KEY));
  assert.deepEqual(
    parseConfig({ ...minimal(), secrets: { ...minimal().secrets, previous_codec_keys: KEY } }, {})
      .secrets.previous_codec_keys,
    [KEY],
  );
});

test('[codec]: loopback and the local UI by default; listen and origins checked', () => {
  const config = parseConfig(minimal(), {});
  assert.deepEqual(config.codec, {
    listen: '127.0.0.1:8089',
    allowed_origins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
    auth: 'none',
    oidc_issuer: '',
    oidc_audience: '',
    required_claim: '',
  });
  assert.deepEqual(
    parseConfig({ ...minimal(), codec: { allowed_origins: 'none' } }, {}).codec.allowed_origins,
    [],
    'none: no browser, the CLI only',
  );
  for (const listen of ['localhost:8089', '[::1]:8089', '127.3.2.1:9000']) {
    assert.deepEqual(problems({ ...minimal(), codec: { listen } }), [], listen);
  }
  assert.match(
    problems({ ...minimal(), codec: { listen: '8089' } }).join('\n'),
    /\[codec\] listen = "8089" is not valid: expected host:port/,
  );
  const origins = problems({
    ...minimal(),
    codec: { allowed_origins: 'http://localhost:8233/, temporal.example.org' },
  }).join('\n');
  assert.match(
    origins,
    /"http:\/\/localhost:8233\/" is not an origin.*here http:\/\/localhost:8233/,
  );
  assert.match(origins, /"temporal\.example\.org" is not an origin/);
});

test('[codec] start-up refusals: no auth off loopback, bearer without an issuer', () => {
  for (const listen of ['0.0.0.0:8089', '[::]:8089', '10.0.0.5:8089', 'codec.example.org:8089']) {
    const found = problems({ ...minimal(), codec: { listen } }).join('\n');
    assert.match(found, /\[codec\] auth = none with listen = .*anyone who can reach/, listen);
    assert.match(
      found,
      /Set \[codec\] listen to a loopback address .* or set \[codec\] auth = bearer/,
    );
  }
  assert.match(
    problems(minimal(), { KAIZEN_CODEC__LISTEN: '0.0.0.0:8089' }).join('\n'),
    /auth = none with listen = 0\.0\.0\.0:8089/,
    'the environment override is checked the same way',
  );
  assert.match(
    problems({ ...minimal(), codec: { auth: 'bearer' } }).join('\n'),
    /\[codec\] auth = bearer needs \[codec\] oidc_issuer \(or KAIZEN_CODEC__OIDC_ISSUER\)/,
  );
  assert.match(
    problems({ ...minimal(), codec: { auth: 'oidc' } }).join('\n'),
    /\[codec\] auth .* expected one of none, bearer/,
  );
  const bearer = parseConfig(
    {
      ...minimal(),
      codec: {
        listen: '0.0.0.0:8089',
        auth: 'bearer',
        oidc_issuer: 'https://login.example.org/realms/kaizen',
        oidc_audience: 'temporal-ui',
        required_claim: 'groups=kaizen-admins',
      },
    },
    {},
  ).codec;
  assert.equal(bearer.oidc_issuer, 'https://login.example.org/realms/kaizen');
  assert.equal(bearer.oidc_audience, 'temporal-ui');
  assert.equal(bearer.required_claim, 'groups=kaizen-admins');
});

test('[codec] auth = bearer needs an audience and a required claim (or none), named with the fix', () => {
  const bearer = (extra: Record<string, string> = {}) => ({
    ...minimal(),
    codec: {
      auth: 'bearer',
      oidc_issuer: 'https://login.example.org/realms/kaizen',
      oidc_audience: 'temporal-ui',
      required_claim: 'groups=kaizen-admins',
      ...extra,
    },
  });
  assert.deepEqual(problems(bearer()), []);
  const noAudience = problems(bearer({ oidc_audience: '' })).join('\n');
  assert.match(
    noAudience,
    /\[codec\] auth = bearer needs \[codec\] oidc_audience \(or KAIZEN_CODEC__OIDC_AUDIENCE\): .*e\.g\. temporal-ui/,
  );
  assert.match(noAudience, /any client of the issuer/);
  assert.match(
    problems(bearer(), { KAIZEN_CODEC__OIDC_AUDIENCE: '' }).join('\n'),
    /needs \[codec\] oidc_audience/,
    'emptied by the environment',
  );
  assert.match(
    problems(bearer({ required_claim: '' })).join('\n'),
    /\[codec\] auth = bearer needs \[codec\] required_claim \(or KAIZEN_CODEC__REQUIRED_CLAIM\): .*groups=kaizen-admins.*realm_access\.roles=kaizen-admins.*or none/,
  );
  // none is a choice written down, not a default: every token of the audience is accepted.
  assert.deepEqual(problems(bearer({ required_claim: 'none' })), []);
  assert.deepEqual(problems(bearer({}), { KAIZEN_CODEC__REQUIRED_CLAIM: 'NONE' }), []);
  // A malformed claim is refused with auth = none too: it would bite when bearer is switched on.
  for (const [value, reason] of [
    ['groups', /expected claim=value/],
    ['=kaizen-admins', /no claim name before =/],
    ['groups=', /no value after =/],
    ['realm_access..roles=a', /empty part in the claim path "realm_access\.\.roles"/],
    ['.roles=a', /empty part in the claim path/],
    ['my groups=a', /no spaces in the claim name/],
  ] as const) {
    const found = problems(bearer({ required_claim: value })).join('\n');
    assert.match(found, /\[codec\] required_claim = ".*" is not valid: /, value);
    assert.match(found, reason, value);
    assert.match(found, /e\.g\. groups=kaizen-admins/, value);
    assert.match(
      problems({ ...minimal(), codec: { required_claim: value } }).join('\n'),
      reason,
      `${value} with auth = none`,
    );
  }
});

test('[codec] required_claim: claim=value, a dotted path, spaces around trimmed', () => {
  assert.deepEqual(parseRequiredClaim('groups=kaizen-admins'), {
    rule: { claim: 'groups', value: 'kaizen-admins' },
  });
  assert.deepEqual(parseRequiredClaim(' realm_access.roles = kaizen-admins '), {
    rule: { claim: 'realm_access.roles', value: 'kaizen-admins' },
  });
  // Only the first = splits: a value may hold one (an LDAP group's DN).
  assert.deepEqual(parseRequiredClaim('memberOf=cn=admins,ou=groups'), {
    rule: { claim: 'memberOf', value: 'cn=admins,ou=groups' },
  });
  assert.deepEqual(parseRequiredClaim('https://kaizen.example.org/roles=admin'), {
    rule: { claim: 'https://kaizen.example.org/roles', value: 'admin' },
  });
  assert.deepEqual(parseRequiredClaim('None'), { rule: null });
  assert.ok('error' in parseRequiredClaim(''));
});
