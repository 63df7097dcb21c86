import assert from 'node:assert/strict';
import { eventually, mailsTo, mailText } from './services';

export interface FormSession {
  cookie: string;
  csrf: string;
}

/** The client address a proxy would report (X-Forwarded-For), for rate-limit tests. */
const forwarded = (from?: string): Record<string, string> =>
  from ? { 'x-forwarded-for': from } : {};

/** What a browser holds after opening a form page: the CSRF cookie and the matching field. */
export async function formSession(
  pageUrl: string,
  { from }: { from?: string } = {},
): Promise<FormSession> {
  const page = await fetch(pageUrl, { headers: { accept: 'text/html', ...forwarded(from) } });
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  assert.ok(csrf && cookie, `the page at ${pageUrl} (${page.status}) sets a CSRF cookie and field`);
  return { cookie, csrf };
}

export interface FormAnswer {
  status: number;
  text: string;
  headers: Headers;
  /** From sending until the whole body was read. */
  ms: number;
}

/** Posts a form as the page would; answers as plain text unless `accept` asks for HTML. */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  session: FormSession,
  { accept = 'text/plain', from }: { accept?: string; from?: string } = {},
): Promise<FormAnswer> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept,
      cookie: session.cookie,
      ...forwarded(from),
    },
    body: new URLSearchParams({ ...fields, csrf: session.csrf }).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    headers: response.headers,
    ms: performance.now() - started,
  };
}

/** The newest set-password link mailed to `email`. */
export async function linkFromMail(email: string): Promise<string> {
  const mail = await eventually(`the set-password mail to ${email}`, async () =>
    (await mailsTo(email)).find((m) => /choose your .* password/i.test(m.Subject)),
  );
  const link = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(mail.ID))?.[1];
  assert.ok(link, 'the mail carries a link');
  return link;
}

/** Opens the set-password link mailed to `email` and sets `password` with `pin`, as a person would. */
export async function setPasswordFromMail(
  email: string,
  pin: string,
  password: string,
): Promise<{ status: number; text: string }> {
  const link = await linkFromMail(email);
  const session = await formSession(link);
  const token = new URL(link).searchParams.get('token')!;
  const pageUrl = new URL('./', link).toString();
  return postForm(pageUrl, { token, pin, password, confirm_password: password }, session);
}
