// Who is told what, and how: reminders, helpdesk tickets, the approvers' digest, the SMTP
// server and what every mail says about the cloud.
import { setting as s, type Section } from '../setting-spec';

export const reminder = {
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
} as const satisfies Section;

export const helpdesk = {
  email: s('email', 'where each approved request goes as a ticket mail (empty: no tickets)', {
    default: '',
    optional: true,
  }),
  priority: s('string', 'PRIORITY of the ticket mails', { default: 'normal' }),
  queue: s('string', 'QUEUE of the ticket mails', { default: 'Kaizen' }),
} as const satisfies Section;

export const approvers = {
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
  mail_each_request: s(
    'bool',
    'also mail the approvers once per request confirmed on /register or /quota-request',
    { default: 'no' },
  ),
} as const satisfies Section;

export const mail = {
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
} as const satisfies Section;

export const email_defaults = {
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
} as const satisfies Section;
