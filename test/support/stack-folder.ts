// The folder deploy/compose.test.yml reads (KAIZEN_STACK_DIR) and the ports it is given, for
// test/support/compose-stack.ts: settings.ini from example_settings.ini, the secrets' files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeTestCertificate } from './test-tls';

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');

/** The ports of deploy/compose.test.yml, each KAIZEN_STACK_<NAME>_PORT. */
export const PORT_NAMES = [
  'PG',
  'TEMPORAL',
  'TEMPORAL_HTTP',
  'FRONTEND_MEMBERSHIP',
  'HISTORY',
  'HISTORY_MEMBERSHIP',
  'MATCHING',
  'MATCHING_MEMBERSHIP',
  'WORKER',
  'WORKER_MEMBERSHIP',
  'SMTP',
  'MAIL_HTTP',
  'API',
  'CODEC',
  'UI',
  'UI_TLS',
  'CODEC_TLS',
] as const;
export type PortName = (typeof PORT_NAMES)[number];

const canListen = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const server = createServer()
      .once('error', () => done(false))
      .listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });

/**
 * Free ports below the kernel's ephemeral range (32768 and up), which outgoing connections take
 * from at any moment, and within Temporal's: it stores membership ports as a PostgreSQL
 * smallint (at most 32767).
 */
export async function distinctFreePorts(
  range: { from: number; size: number } = PORT_RANGE,
): Promise<Record<PortName, number>> {
  const taken = new Set<number>();
  const ports = {} as Record<PortName, number>;
  for (const name of PORT_NAMES) {
    let port = 0;
    while (port === 0 || taken.has(port) || !(await canListen(port)))
      port = range.from + Math.floor(Math.random() * range.size);
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

const PORT_RANGE = { from: 20_000, size: 12_000 };
/** Stacks that npm test runs side by side: each picks from its own slice, so none takes another's. */
const SLICED = ['kaizen-test', 'kaizen-admins', 'kaizen-badconfig', 'kaizen-upgrade'];

/** The ports a stack of this project name picks from. */
export function portRange(project: string): { from: number; size: number } {
  const slice = SLICED.indexOf(project);
  if (slice < 0) return PORT_RANGE;
  const size = PORT_RANGE.size / SLICED.length;
  return { from: PORT_RANGE.from + slice * size, size };
}

/** Sets `key = value` in `[section]` of an INI text; each key must be there already. */
function setIniKeys(text: string, values: Record<string, Record<string, string>>): string {
  let section = '';
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) section = header[1]!;
    const key = /^([A-Za-z_]+)\s*=/.exec(line)?.[1];
    const value = key === undefined ? undefined : values[section]?.[key];
    if (key === undefined || value === undefined) return line;
    seen.add(`${section}.${key}`);
    return `${key} = ${value}`;
  });
  for (const [s, keys] of Object.entries(values))
    for (const key of Object.keys(keys))
      assert.ok(seen.has(`${s}.${key}`), `example_settings.ini has [${s}] ${key}`);
  return lines.join('\n');
}

function writeReadable(file: string, text: string): void {
  writeFileSync(file, text);
  // The programs read them as their own users (node 1000, postgres 999, temporal 1000).
  chmodSync(file, 0o644);
}

/** [codec] oidc_issuer, oidc_audience and required_claim of the stack's settings.ini. */
export interface CodecAuthSettings {
  oidc_issuer: string;
  oidc_audience: string;
  required_claim: string;
}

// Required with auth = bearer (compose's codec service). Nothing answers there: without an
// issuer of its own a test only sees the endpoint up and refusing a call without a token.
const NO_ISSUER: CodecAuthSettings = {
  oidc_issuer: 'http://127.0.0.1:9/no-issuer',
  oidc_audience: 'temporal-ui',
  required_claim: 'groups=kaizen-admins',
};

/** The admins' claim of the test's settings ([codec] required_claim). */
export const REQUIRED_CLAIM = NO_ISSUER.required_claim;

/**
 * The folder the override names (KAIZEN_STACK_DIR): settings.ini from example_settings.ini with
 * the host's Keystone (the sourced .state/services.env) and the stack's ports, and secrets/
 * (with the `tls` service's certificate, made by the test's own CA).
 */
export async function writeStackFolder(
  dir: string,
  ports: Record<PortName, number>,
  codecAuth: CodecAuthSettings = NO_ISSUER,
  example = readFileSync(join(ROOT, 'example_settings.ini'), 'utf8'),
) {
  const env = process.env;
  const api = `http://127.0.0.1:${ports.API}`;
  // A release's example may predate required_claim (v0.1.0): added on upgrade, as CHANGELOG.md says.
  const { required_claim, ...codec } = codecAuth;
  const settings = setIniKeys(example, {
    auth: {
      auth_url: env.KAIZEN_AUTH__AUTH_URL!,
      admin_user: env.KAIZEN_AUTH__ADMIN_USER ?? 'admin',
      admin_project: env.KAIZEN_AUTH__ADMIN_PROJECT ?? 'admin',
    },
    setpass: { setpass_url: `${api}/`, port: String(ports.API) },
    codec: /^required_claim\s*=/m.test(example) ? { ...codec, required_claim } : codec,
    email_defaults: { password_reset_form_url: `${api}/reset` },
  });
  writeReadable(join(dir, 'settings.ini'), settings);

  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  const postgresPassword = randomBytes(16).toString('hex');
  const codecKey = randomBytes(32).toString('base64');
  const setpassKey = randomBytes(32).toString('base64');
  writeReadable(join(secrets, 'postgres_password'), `${postgresPassword}\n`);
  writeReadable(join(secrets, 'codec_key'), `${codecKey}\n`);
  writeReadable(join(secrets, 'setpass_key'), `${setpassKey}\n`);
  writeReadable(join(secrets, 'keystone_admin_pwd'), `${env.KAIZEN_AUTH__ADMIN_PWD}\n`);
  writeReadable(
    join(secrets, 'setpass_database_url'),
    `postgresql://temporal:${postgresPassword}@127.0.0.1:${ports.PG}/setpass\n`,
  );
  // Mailpit's certificate, which the app takes as its CA file: it names the address it is reached at.
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-nodes',
    '-newkey',
    'rsa:2048',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=mail',
    '-addext',
    'subjectAltName=DNS:mail,DNS:localhost,IP:127.0.0.1',
    '-keyout',
    join(secrets, 'smtp_key.pem'),
    '-out',
    join(secrets, 'smtp_cert.pem'),
  ]);
  chmodSync(join(secrets, 'smtp_key.pem'), 0o644);
  chmodSync(join(secrets, 'smtp_cert.pem'), 0o644);
  const tls = await makeTestCertificate(
    dir,
    join(secrets, 'tls_cert.pem'),
    join(secrets, 'tls_key.pem'),
  );
  return { codecKey, setpassKey, tls };
}

/** The KAIZEN_STACK_*_PORT names the override reads (the test compares them with PORT_NAMES). */
export function overridePortNames(): string[] {
  const text = readFileSync(join(ROOT, 'deploy', 'compose.test.yml'), 'utf8');
  return [...new Set([...text.matchAll(/\$\{KAIZEN_STACK_([A-Z_]+)_PORT\b/g)].map((m) => m[1]!))];
}
export const portNames = (): string[] => [...PORT_NAMES];
