// Mail rendering is pure: a template plus a typed context gives subject and body.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TEMPLATE_NAMES = [
  'welcome',
  'set-password',
  'reminder',
  'password-reset',
  'reset-refused',
  'reset-approval',
  'new-project',
  'request-failed',
  'invalid-requests',
  'quota-change',
  'quota-revert-notice',
  'quota-reverted',
  'quota-request-failed',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Variables every template may use (the original's names, plus a few of our own). */
export const MAIL_VARIABLES = [
  'FULLNAME',
  'USERNAME',
  'PROJECT',
  'SETPASS_TOKEN_URL',
  'PASSWORD_RESET_FORM_URL',
  'LOGIN_URL',
  'TERMS_URL',
  'GETTING_STARTED_URL',
  'SUPPORT_EMAIL',
  'OPERATOR_NAME',
  'TOKEN_EXPIRATION',
  'REASON',
  'QUOTA_LIST',
  'END_DATE',
] as const;
export type MailVariable = (typeof MAIL_VARIABLES)[number];
export type MailContext = Record<MailVariable, string>;

export interface Template {
  name: string;
  subject: string;
  body: string;
}

const PLACEHOLDER = /\{\{\s*([A-Z_]+)\s*\}\}/g;

/** Parses "Subject: …" + blank line + body, and rejects unknown variables at load time. */
export function parseTemplate(name: string, text: string): Template {
  const match = /^Subject:[ \t]*(.*)\r?\n\r?\n([\s\S]*)$/.exec(text);
  if (!match)
    throw new Error(`mail template ${name}: must start with "Subject: …" and a blank line`);
  const unknown = [...text.matchAll(PLACEHOLDER)]
    .map((m) => m[1]!)
    .filter((v) => !(MAIL_VARIABLES as readonly string[]).includes(v));
  if (unknown.length > 0) {
    throw new Error(
      `mail template ${name}: unknown variable(s) ${[...new Set(unknown)].join(', ')}; known: ${MAIL_VARIABLES.join(', ')}`,
    );
  }
  return { name, subject: match[1]!.trim(), body: match[2]! };
}

export function render(
  template: Template,
  context: MailContext,
): { subject: string; text: string } {
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (_, name: string) => context[name as MailVariable]);
  // A subject is a header: never let a value smuggle in a line break.
  return { subject: fill(template.subject).replace(/[\r\n]+/g, ' '), text: fill(template.body) };
}

export const BUILTIN_TEMPLATE_DIR = join(__dirname, 'templates');

export function loadTemplates(dir = BUILTIN_TEMPLATE_DIR): Record<TemplateName, Template> {
  const entries = TEMPLATE_NAMES.map((name) => {
    const file = join(dir, `${name}.txt`);
    return [name, parseTemplate(file, readFileSync(file, 'utf8'))] as const;
  });
  return Object.fromEntries(entries) as Record<TemplateName, Template>;
}
