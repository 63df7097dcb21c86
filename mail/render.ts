// Mail rendering is pure: a template plus a typed context gives subject and body.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAIL_VARIABLES,
  TEMPLATE_NAMES,
  type MailContext,
  type MailVariable,
  type TemplateName,
} from '../shared/mail-templates';

export interface Template {
  name: string;
  subject: string;
  body: string;
  /** Optional HTML alternative (`<name>.html`): values are HTML-escaped into it. */
  html?: string;
}

const PLACEHOLDER = /\{\{\s*([A-Z_]+)\s*\}\}/g;

/** Parses "Subject: …" + blank line + body, and rejects unknown variables at load time. */
export function parseTemplate(name: string, text: string): Template {
  const match = /^Subject:[ \t]*(.*)\r?\n\r?\n([\s\S]*)$/.exec(text);
  if (!match)
    throw new Error(`mail template ${name}: must start with "Subject: …" and a blank line`);
  const unknown = unknownVariables(text);
  if (unknown.length > 0) {
    throw new Error(
      `mail template ${name}: unknown variable(s) ${unknown.join(', ')}; known: ${MAIL_VARIABLES.join(', ')}`,
    );
  }
  return { name, subject: match[1]!.trim(), body: match[2]! };
}

function unknownVariables(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].filter(
    (v) => !(MAIL_VARIABLES as readonly string[]).includes(v),
  );
}

/** An HTML body: no subject line; the same variables as the text. */
export function parseHtmlTemplate(name: string, html: string): string {
  const unknown = unknownVariables(html);
  if (unknown.length > 0) {
    throw new Error(
      `mail template ${name}: unknown variable(s) ${unknown.join(', ')}; known: ${MAIL_VARIABLES.join(', ')}`,
    );
  }
  return html;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

export function render(
  template: Template,
  context: MailContext,
): { subject: string; text: string; html?: string } {
  const fill = (text: string, escape: (v: string) => string = (v) => v) =>
    text.replace(PLACEHOLDER, (_, name: string) => escape(context[name as MailVariable]));
  return {
    // A subject is a header: never let a value smuggle in a line break.
    subject: fill(template.subject).replace(/[\r\n]+/g, ' '),
    text: fill(template.body),
    // A name like <script> arrives as text in the HTML part, never as markup.
    ...(template.html !== undefined ? { html: fill(template.html, escapeHtml) } : {}),
  };
}

export const BUILTIN_TEMPLATE_DIR = join(__dirname, 'templates');

/**
 * The built-in templates, each replaced by `<name>.txt` / `<name>.html` from `overrideDir` when
 * that file exists. A file there that names no template, or a template naming an unknown
 * variable, is an error now (at start-up), not when the mail is due.
 */
export function loadTemplates(overrideDir = ''): Record<TemplateName, Template> {
  if (overrideDir) {
    const known = new Set(TEMPLATE_NAMES.flatMap((n) => [`${n}.txt`, `${n}.html`]));
    const strays = readdirSync(overrideDir).filter((f) => /\.(txt|html)$/.test(f) && !known.has(f));
    if (strays.length > 0) {
      throw new Error(
        `mail templates in ${overrideDir}: ${strays.join(', ')} name no template; the names are ${TEMPLATE_NAMES.join(', ')} (.txt, .html)`,
      );
    }
  }
  const pick = (file: string) => {
    const own = overrideDir ? join(overrideDir, file) : '';
    if (own && existsSync(own)) return own;
    const builtin = join(BUILTIN_TEMPLATE_DIR, file);
    return existsSync(builtin) ? builtin : undefined;
  };
  const entries = TEMPLATE_NAMES.map((name) => {
    const textFile = pick(`${name}.txt`)!;
    const template = parseTemplate(textFile, readFileSync(textFile, 'utf8'));
    const htmlFile = pick(`${name}.html`);
    if (htmlFile) template.html = parseHtmlTemplate(htmlFile, readFileSync(htmlFile, 'utf8'));
    return [name, template] as const;
  });
  return Object.fromEntries(entries) as Record<TemplateName, Template>;
}

/** Sample values for reviewing templates (`npm run cli -- templates`). */
export const SAMPLE_CONTEXT: MailContext = {
  FULLNAME: 'Ada Lovelace',
  USERNAME: 'ada.lovelace@example.org',
  PROJECT: 'analytical-engine',
  SETPASS_TOKEN_URL: 'https://setpass.example.org/?token=SAMPLE-TOKEN',
  PASSWORD_RESET_FORM_URL: 'https://setpass.example.org/reset',
  LOGIN_URL: 'https://kaizen.example.org/',
  TERMS_URL: 'https://kaizen.example.org/terms',
  GETTING_STARTED_URL: 'https://kaizen.example.org/getting-started',
  SUPPORT_EMAIL: 'kaizen-help@example.org',
  OPERATOR_NAME: 'Kaizen cloud',
  TOKEN_EXPIRATION: '2 days',
  REASON: 'project "analytical-engine" does not exist: check the name',
  QUOTA_LIST: '  cores      20 -> 40\n  ram (MB)   51200 -> 102400',
  END_DATE: '2027-01-31 00:00 UTC',
  USER_NAME: 'ada.lovelace@example.org',
  FIRST_NAME: 'Ada',
  LAST_NAME: 'Lovelace',
  CSR_TYPE: 'New account, new project',
  PRIORITY: 'normal',
  QUEUE: 'Kaizen',
  COMMENT: 'for the analytical engine simulations',
  REQUEST_COUNT: '2',
  REQUEST_TYPE: 'access',
  START: '24 hours',
  REQUEST_SPREADSHEET: 'https://docs.google.com/spreadsheets/d/SAMPLE',
  REQUEST_DETAILS:
    '  - New account, new project: Ada Lovelace <ada.lovelace@example.org>, project analytical-engine',
  CONFIRM_URL: 'https://setpass.example.org/confirm?token=SAMPLE-TOKEN',
  CONFIRM_WITHIN: '1 day',
};
