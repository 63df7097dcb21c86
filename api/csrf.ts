// Double-submit cookie: a cross-site page can post a form to us but cannot read our cookie, so a
// form whose hidden field matches the cookie came from our own page.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';

const CSRF_COOKIE = 'kaizen_csrf';

/** The visitor's CSRF value, set as a cookie on first sight; put it in the form. */
export function csrfCookie(ctx: Context): string {
  const existing = ctx.cookies.get(CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{22,64}$/.test(existing)) return existing;
  const value = randomBytes(18).toString('base64url');
  ctx.cookies.set(CSRF_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    overwrite: true,
  });
  return value;
}

export function csrfMatches(ctx: Context, body: Record<string, unknown>): boolean {
  const cookie = ctx.cookies.get(CSRF_COOKIE);
  return typeof body.csrf === 'string' && !!cookie && body.csrf === cookie;
}
