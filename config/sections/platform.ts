// The systems the worker drives: Keystone and the OpenStack services, Temporal, and the keys
// that encrypt what passes through Temporal.
import { DEFAULT_QUOTAS, QUOTA_KEYS, type QuotaKey } from '../../shared/quota-keys';
import { setting as s, type Section, type SettingSpec } from '../setting-spec';

export const auth = {
  auth_url: s('url', 'Keystone v3 endpoint, e.g. https://keystone.example.org:5000/v3'),
  admin_user: s('string', 'Keystone admin user name', { default: 'admin' }),
  admin_pwd: s('string', 'Keystone admin password', { secret: true }),
  admin_project: s('string', 'project the admin token is scoped to', { default: 'admin' }),
  domain_id: s('string', 'domain of the admin user and project, and of new users and projects', {
    default: 'default',
  }),
  member_role: s('string', 'role granted to new users on their project', { default: 'member' }),
  request_timeout: s('duration', 'timeout of one OpenStack request', { default: '30s' }),
} as const satisfies Section;

export const temporal = {
  address: s('string', 'Temporal frontend host:port', { default: '127.0.0.1:7233' }),
  namespace: s('string', 'Temporal namespace', { default: 'default' }),
  task_queue: s('string', 'task queue of the onboarding worker', {
    default: 'kaizen-onboarding',
  }),
  tls: s(
    'bool',
    'connect with TLS (on by itself when a CA, client certificate or API key is set)',
    {
      default: 'false',
    },
  ),
  server_ca_file: s(
    'path',
    'PEM of the CA that signed the server certificate (empty: system CAs)',
    {
      default: '',
      optional: true,
    },
  ),
  client_cert_file: s('path', 'PEM client certificate for mTLS (with client_key_file)', {
    default: '',
    optional: true,
  }),
  client_key_file: s('path', 'PEM private key of the mTLS client certificate', {
    default: '',
    optional: true,
  }),
  server_name: s('string', 'TLS server name, when it differs from the address host', {
    default: '',
    optional: true,
  }),
  api_key: s('string', 'API key (e.g. Temporal Cloud); sent as a bearer token over TLS', {
    default: '',
    optional: true,
    secret: true,
  }),
  metrics_address: s(
    'string',
    'host:port where the worker serves Prometheus metrics (empty: off)',
    {
      default: '',
      optional: true,
    },
  ),
  max_concurrent_activities: s(
    'int',
    'activities one worker runs at once (OpenStack calls, mails, sheet reads), and as many local activities (onboarding steps)',
    { default: '100', min: 1, max: 10000 },
  ),
  workflow_bundle: s(
    'path',
    'workflow code bundled by npm run bundle (empty: bundled at start-up, which needs more memory)',
    { default: '', optional: true },
  ),
  max_cached_workflows: s(
    'int',
    'workflows one worker keeps in memory between events (about 1 MB each; the rest are replayed from history when their next event comes; 0: the SDK sizes it from the heap)',
    { default: '100', min: 0, max: 1000000 },
  ),
} as const satisfies Section;

export const secrets = {
  codec_key: s('key32', 'AES-256 key (base64 of 32 bytes) encrypting workflow payloads', {
    secret: true,
  }),
  setpass_key: s('key32', 'AES-256 key (base64 of 32 bytes) encrypting temporary passwords', {
    secret: true,
  }),
  previous_codec_keys: s(
    'list',
    'comma-separated former codec keys, still decrypting histories written before a rotation',
    { default: '', optional: true, secret: true },
  ),
  previous_setpass_keys: s(
    'list',
    'comma-separated former setpass keys, still opening the links and form PINs made before a rotation',
    { default: '', optional: true, secret: true },
  ),
} as const satisfies Section;

export const openstack = {
  interface: s('choice', 'which catalog endpoints to use for Nova, Cinder, Neutron', {
    default: 'public',
    choices: ['public', 'internal', 'admin'],
  }),
  region: s('string', 'catalog region of the endpoints', { default: 'RegionOne' }),
} as const satisfies Section;

/** `[quotas] cores = 20`: every key a service accepts; unset ones are left to the service. */
function quotaSettings(): { [K in QuotaKey]: SettingSpec & { kind: 'int' } } {
  const keys = Object.values(QUOTA_KEYS).flat();
  const entries = keys.map((key) => {
    const value = DEFAULT_QUOTAS[key];
    return [
      key,
      s('int', `quota ${key} of a new project (-1 = unlimited; empty = the service's default)`, {
        default: value === undefined ? '' : String(value),
        optional: value === undefined,
        min: -1,
      }),
    ];
  });
  return Object.fromEntries(entries) as { [K in QuotaKey]: SettingSpec & { kind: 'int' } };
}

export const quotas = quotaSettings();
