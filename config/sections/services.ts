// The HTTP endpoints this project serves: the setpass API and its reset form, and the codec
// endpoint of the Temporal Web UI.
import { setting as s, type Section } from '../setting-spec';

export const setpass = {
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
} as const satisfies Section;

export const codec = {
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
    "the audience an access token must name in its aud claim, e.g. the Web UI's client id (required with auth = bearer)",
    { default: '', optional: true },
  ),
  required_claim: s(
    'string',
    'claim=value an access token must carry, e.g. groups=kaizen-admins or realm_access.roles=kaizen-admins (a dotted path; the claim a string or a list of strings); required with auth = bearer; none: any token of oidc_issuer for oidc_audience',
    { default: '', optional: true },
  ),
} as const satisfies Section;

export const reset = {
  approval: s('choice', 'auto: reset at once; approve: wait for an admin to approve', {
    default: 'auto',
    choices: ['auto', 'approve'],
  }),
  denied_roles: s('list', 'comma-separated roles whose holders cannot reset by form', {
    default: 'admin',
    optional: true,
  }),
} as const satisfies Section;

export const forms = {
  register: s('bool', 'offer /register: anyone may ask for an account (rows still need approval)', {
    default: 'yes',
  }),
  quota_request: s(
    'bool',
    'offer /quota-request to members of a project (needs a quota sheet: [quota_sheet])',
    { default: 'yes' },
  ),
  confirm_within: s('duration', 'an unconfirmed form request ends after this long, unkept', {
    default: '24h',
  }),
  requests_per_email: s('int', 'form requests per hour for one e-mail address', {
    default: '3',
    min: 1,
    max: 1000,
  }),
} as const satisfies Section;
