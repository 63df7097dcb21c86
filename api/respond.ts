// How the API answers a person: an HTML page to a browser, the bare message to anything else
// (scripts, tests, curl), with the same status either way.
import type { Context } from 'koa';
import { csrfCookie } from './csrf';
import { messagePage, setPasswordPage, type PageBranding } from './pages';

export interface Outcome {
  status: number;
  title: string;
  message: string;
  offerReset?: boolean;
}

export const NOT_FOUND: Outcome = {
  status: 404,
  title: 'Link not valid',
  message: 'Token not found: this link is unknown or was already used.',
  offerReset: true,
};
export const EXPIRED: Outcome = {
  status: 403,
  title: 'Link expired',
  message: 'Token expired: this link is too old. Ask for a new link below.',
  offerReset: true,
};
export const LOCKED: Outcome = {
  status: 403,
  title: 'Link locked',
  message: 'Link locked: too many wrong PINs. Your account is safe; ask for a new link below.',
  offerReset: true,
};

/** The link died while Keystone took the password: revoked by a cancel, or a second submit won. */
export const WITHDRAWN: Outcome = {
  status: 409,
  title: 'Link no longer valid',
  message:
    'This link was used up or withdrawn while your password was being set. Try logging in with the new password; if it does not work, ask for a new link below.',
  offerReset: true,
};

/** Made under a setpass key the service no longer holds (rotated out too early). */
export const RETIRED_KEY: Outcome = {
  status: 410,
  title: 'Link no longer valid',
  message:
    "This link was made before a change of the service's keys and can no longer be used. Ask for a new link below.",
  offerReset: true,
};

export function respond(ctx: Context, branding: PageBranding, outcome: Outcome): void {
  ctx.status = outcome.status;
  if (!ctx.accepts('html')) {
    ctx.type = 'text/plain';
    ctx.body = outcome.message;
    return;
  }
  ctx.type = 'text/html';
  ctx.body = messagePage(branding, {
    title: outcome.title,
    message: outcome.message,
    kind: outcome.status === 200 ? 'ok' : 'error',
    offerReset: outcome.offerReset,
  });
}

/** The set-password form, again with `error` when the last try was refused. */
export function showSetPasswordForm(
  ctx: Context,
  branding: PageBranding,
  form: { token: string; expiresIn: string },
  status = 200,
  error?: string,
): void {
  const csrf = csrfCookie(ctx);
  ctx.status = status;
  if (error && !ctx.accepts('html')) {
    ctx.type = 'text/plain';
    ctx.body = error;
    return;
  }
  ctx.type = 'text/html';
  ctx.body = setPasswordPage(branding, { ...form, csrf, error });
}
