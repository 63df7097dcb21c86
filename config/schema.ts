import { DEFAULT_QUOTAS, QUOTA_KEYS, type QuotaKey } from '../shared/quota-keys';
import { DEFAULT_ACCESS_COLUMNS } from '../shared/sheet-columns';
import { DEFAULT_QUOTA_COLUMNS } from '../shared/sheet-columns';
// Every setting, declared once: section, key, kind, default and help.
// The loader checks values against this at start-up; nothing else reads settings.ini.
export type Kind =
  | 'string'
  | 'url'
  | 'int'
  | 'duration'
  | 'bool'
  | 'key32'
  | 'email'
  | 'path'
  | 'choice'
  | 'list'
  | 'durations';

export interface SettingSpec {
  kind: Kind;
  help: string;
  /** Omitted: the setting is required. */
  default?: string;
  /** Shown as *** in messages and never logged. */
  secret?: boolean;
  min?: number;
  max?: number;
  /** An empty value is allowed (e.g. an optional CA file). */
  optional?: boolean;
  /** For kind 'choice': the accepted values. */
  choices?: readonly string[];
}

const s = <K extends Kind>(
  kind: K,
  help: string,
  extra: Omit<SettingSpec, 'kind' | 'help'> = {},
): SettingSpec & { kind: K } => ({
  kind,
  help,
  ...extra,
});

/** `[columns] email = Email`: the header text of each logical column of a request sheet. */
function columnSettings<C extends string>(
  defaults: Record<C, string>,
  sheet: string,
): { [K in C]: SettingSpec & { kind: 'string' } } {
  const entries = Object.entries(defaults).map(([key, header]) => [
    key,
    s('string', `header of the ${sheet}'s "${String(header)}" column`, {
      default: String(header),
    }),
  ]);
  return Object.fromEntries(entries) as { [K in C]: SettingSpec & { kind: 'string' } };
}

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

export const SCHEMA = {
  auth: {
    auth_url: s('url', 'Keystone v3 endpoint, e.g. https://keystone.example.org:5000/v3'),
    admin_user: s('string', 'Keystone admin user name', { default: 'admin' }),
    admin_pwd: s('string', 'Keystone admin password', { secret: true }),
    admin_project: s('string', 'project the admin token is scoped to', { default: 'admin' }),
    domain_id: s('string', 'domain of the admin user and project, and of new users and projects', {
      default: 'default',
    }),
    member_role: s('string', 'role granted to new users on their project', { default: 'member' }),
    request_timeout: s('duration', 'timeout of one OpenStack request', { default: '30s' }),
  },
  temporal: {
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
      'activities one worker runs at once (OpenStack calls, mails, sheet reads)',
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
  },
  secrets: {
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
  },
  setpass: {
    setpass_url: s('url', 'public address of the set-password page, used in mailed links', {
      default: 'http://127.0.0.1:5001/',
    }),
    listen_host: s('string', 'address the setpass API listens on', { default: '127.0.0.1' }),
    port: s('int', 'port the setpass API listens on', { default: '5001', min: 1, max: 65535 }),
    database: s('string', 'token store: a SQLite file path, or a postgresql:// URL', {
      default: '.state/setpass.sqlite',
      secret: true,
    }),
    token_expiration: s('duration', 'how long a set-password link stays valid', { default: '48h' }),
    max_attempts: s('int', 'wrong PINs before a link is locked', {
      default: '3',
      min: 1,
      max: 100,
    }),
    rate_limit: s('int', 'requests per minute one client address may make to the forms', {
      default: '60',
      min: 1,
    }),
    token_rate_limit: s('int', 'set-password attempts per minute against one token', {
      default: '10',
      min: 1,
    }),
    trust_proxy: s('bool', 'trust X-Forwarded-For/-Proto from a reverse proxy in front', {
      default: 'false',
    }),
  },
  codec: {
    listen: s(
      'string',
      'host:port of the codec endpoint that decodes payloads for the Temporal Web UI and CLI (npm run codec)',
      { default: '127.0.0.1:8089' },
    ),
    allowed_origins: s(
      'list',
      'comma-separated origins (scheme://host:port) of the Temporal Web UIs whose browsers may call the codec endpoint (none: no browser, the CLI only)',
      { default: 'http://127.0.0.1:8233, http://localhost:8233', optional: true },
    ),
    auth: s(
      'choice',
      'none: whoever reaches listen may decode (loopback addresses only); bearer: an OIDC access token is required',
      { default: 'none', choices: ['none', 'bearer'] },
    ),
    oidc_issuer: s(
      'url',
      'OIDC issuer whose access tokens the codec endpoint accepts, exactly as in their iss claim (auth = bearer)',
      { default: '', optional: true },
    ),
    oidc_audience: s(
      'string',
      'when set, an access token must name this audience in its aud claim (auth = bearer)',
      { default: '', optional: true },
    ),
  },
  reset: {
    approval: s('choice', 'auto: reset at once; approve: wait for an admin to approve', {
      default: 'auto',
      choices: ['auto', 'approve'],
    }),
    denied_roles: s('list', 'comma-separated roles whose holders cannot reset by form', {
      default: 'admin',
      optional: true,
    }),
  },
  intake: {
    source: s('choice', 'where registrations come from: local (a .xlsx file) or google', {
      default: 'local',
      choices: ['local', 'google'],
    }),
    local_file: s('path', 'the local spreadsheet (.xlsx) with the access tabs', {
      default: '.state/registrations.xlsx',
    }),
    spreadsheet_id: s('string', 'id of the Google Sheet (from its URL)', {
      default: '',
      optional: true,
    }),
    key_file: s('path', 'service-account key (JSON) that the sheet is shared with', {
      default: '',
      optional: true,
    }),
    sheets_url: s('url', 'Sheets API root (change only to test against a local server)', {
      default: 'https://sheets.googleapis.com/',
    }),
    access_tab: s('string', 'tab the registration form writes to', { default: 'Form Responses 1' }),
    current_users_tab: s('string', 'tab completed registrations move to', {
      default: 'Current Users',
    }),
    poll_interval: s('duration', 'how often the poller reads the sheet', { default: '5m' }),
  },
  columns: columnSettings(DEFAULT_ACCESS_COLUMNS, 'access sheet'),
  quota_sheet: {
    local_file: s(
      'path',
      'the local spreadsheet (.xlsx) of quota requests ([intake] source = local)',
      {
        default: '',
        optional: true,
      },
    ),
    spreadsheet_id: s(
      'string',
      'id of the Google Sheet of quota requests ([intake] source = google)',
      {
        default: '',
        optional: true,
      },
    ),
    requests_tab: s('string', 'tab the quota request form writes to', {
      default: 'Form Responses 1',
    }),
    processed_tab: s('string', 'tab applied quota requests move to', {
      default: 'Processed Requests',
    }),
    revert_notice: s('duration', 'how long before a temporary change ends the members are told', {
      default: '7d',
    }),
  },
  quota_columns: columnSettings(DEFAULT_QUOTA_COLUMNS, 'quota sheet'),
  openstack: {
    interface: s('choice', 'which catalog endpoints to use for Nova, Cinder, Neutron', {
      default: 'public',
      choices: ['public', 'internal', 'admin'],
    }),
    region: s('string', 'catalog region of the endpoints', { default: 'RegionOne' }),
  },
  quotas: quotaSettings(),
  reminder: {
    schedule: s(
      'durations',
      'when someone without a password is reminded, counted from the first set-password mail (none: never)',
      { default: '1d, 3d, 7d', optional: true },
    ),
    abandon_after: s(
      'duration',
      'no password this long after the first set-password mail: abandoned, the admins told',
      { default: '14d' },
    ),
  },
  helpdesk: {
    email: s('email', 'where each approved request goes as a ticket mail (empty: no tickets)', {
      default: '',
      optional: true,
    }),
    priority: s('string', 'PRIORITY of the ticket mails', { default: 'normal' }),
    queue: s('string', 'QUEUE of the ticket mails', { default: 'Kaizen' }),
  },
  approvers: {
    email: s('email', 'who approves requests: gets the digest of waiting ones (empty: none)', {
      default: '',
      optional: true,
    }),
    start: s('duration', 'a request waiting for approval this long goes into the digest', {
      default: '24h',
    }),
    interval: s('duration', 'a request is mentioned in a digest at most this often', {
      default: '24h',
    }),
    check_every: s('duration', 'how often tickets and the digest are looked for', {
      default: '1h',
    }),
  },
  mail: {
    smtp_host: s('string', 'SMTP server host', { default: '127.0.0.1' }),
    smtp_port: s('int', 'SMTP server port (STARTTLS is required)', {
      default: '587',
      min: 1,
      max: 65535,
    }),
    smtp_user: s('string', 'SMTP user name (empty: no authentication)', {
      default: '',
      optional: true,
    }),
    smtp_password: s('string', 'SMTP password', { default: '', optional: true, secret: true }),
    ca_file: s('path', 'PEM file of the CA that signed the SMTP certificate (empty: system CAs)', {
      default: '',
      optional: true,
    }),
    send_timeout: s(
      'duration',
      'longest wait for the SMTP server to take one mail; then the send is retried (keep under 2 minutes, the activity timeout)',
      { default: '60s' },
    ),
    templates_dir: s(
      'path',
      'folder of your own mail templates (<name>.txt, <name>.html) replacing the built-in ones',
      { default: '', optional: true },
    ),
  },
  email_defaults: {
    sender: s('email', 'From address of all mail', { default: 'kaizen-noreply@example.org' }),
    operator_name: s('string', 'name of the cloud shown in mails and pages', {
      default: 'Kaizen cloud',
    }),
    support_email: s('email', 'where people ask for help', { default: 'kaizen-help@example.org' }),
    admin_email: s('email', 'where the admins are told about refused or stuck requests', {
      default: 'kaizen-admins@example.org',
    }),
    login_url: s('url', 'dashboard login page', { default: 'https://kaizen.example.org/' }),
    terms_url: s('url', 'terms of use', { default: 'https://kaizen.example.org/terms' }),
    getting_started_url: s('url', 'getting-started guide', {
      default: 'https://kaizen.example.org/getting-started',
    }),
    password_reset_form_url: s('url', 'where people ask for a new link', {
      default: 'http://127.0.0.1:5001/reset',
    }),
  },
} as const satisfies Record<string, Record<string, SettingSpec>>;

type Schema = typeof SCHEMA;
type KindOf<T> = T extends { kind: infer K extends Kind } ? K : never;
type ValueOf<K extends Kind> = K extends 'int' | 'duration'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'key32'
      ? Buffer
      : K extends 'list'
        ? string[]
        : K extends 'durations'
          ? number[]
          : string;

/** The validated configuration: durations in milliseconds, keys as 32-byte buffers. */
export type Config = {
  [S in keyof Schema]: { [K in keyof Schema[S]]: ValueOf<KindOf<Schema[S][K]>> };
};
