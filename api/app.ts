// The setpass service: admins register a temporary password and PIN for a user and get a token
// (PUT /token/<user_id>); the person opens the mailed link, proves the PIN and chooses a password;
// someone who lost the link asks for a new one at /reset.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { formatDuration } from '../config/duration';
import { isEmail, isPin, PIN_RULE } from '../shared/text-rules';
import { cachedAdminCheck } from './admin-check';
import { HttpError, readBody } from './body';
import { messagePage, resetPage, setPasswordPage, type PageBranding } from './pages';
import { RateLimiter } from './rate-limit';
import { hashToken, newToken, type SecretBox } from './secrets';
import type { TokenRecord, TokenStore } from './token-store';

export interface SetpassKeystone {
  canScopeToAdminProject(token: string): Promise<boolean>;
  changePassword(
    userId: string,
    originalPassword: string,
    password: string,
  ): Promise<'changed' | 'wrong-original' | { refused: string }>;
  passwordWorks(userId: string, password: string): Promise<boolean>;
}

export interface ResetRequest {
  name: string;
  email: string;
  pin: string;
}

export interface SetpassDeps {
  store: TokenStore;
  secrets: SecretBox;
  keystone: SetpassKeystone;
  /** Called after a token was consumed with an outbox event: deliver it now. */
  onPasswordSet: () => void;
  /** Starts the reset workflow; must behave the same whether or not the account exists. */
  startReset: (request: ResetRequest) => Promise<void>;
  branding: PageBranding;
  tokenExpirationMs: number;
  maxAttempts: number;
  rateLimitPerMinute: number;
  tokenRateLimitPerMinute: number;
  trustProxy: boolean;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const BODY_LIMIT = 8 * 1024;
const ADMIN_CHECK_TTL_MS = 60_000;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
const CSRF_COOKIE = 'kaizen_csrf';
export const RESET_ANSWER =
  'If an account with this address exists, a new set-password link is on its way to it. It can take a few minutes.';

interface Outcome {
  status: number;
  title: string;
  message: string;
  offerReset?: boolean;
}

export function createApp(deps: SetpassDeps): Koa {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  // Behind a proxy, the client is the address the proxy appended to X-Forwarded-For (the last
  // one), never a value the client wrote itself: that would dodge the rate limits.
  const app = new Koa({ proxy: deps.trustProxy, maxIpsCount: 1 });
  const router = new Router();
  const perClient = new RateLimiter(deps.rateLimitPerMinute, 60_000, now);
  const perToken = new RateLimiter(deps.tokenRateLimitPerMinute, 60_000, now);
  const isAdmin = cachedAdminCheck(
    (token) => deps.keystone.canScopeToAdminProject(token),
    ADMIN_CHECK_TTL_MS,
    now,
  );

  app.use(async (ctx, next) => {
    const started = Date.now();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer'); // the token is in the URL: never pass it on
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.type = 'text/plain';
        ctx.body = err.message;
        if (err.status === 429) ctx.set('Retry-After', String(err.retryAfter ?? 60));
      } else {
        // Details go to the log, never to the page.
        log('request failed', { path: ctx.path, error: (err as Error).message });
        ctx.status = 500;
        ctx.type = 'text/plain';
        ctx.body = 'Something went wrong on our side. Please try again in a few minutes.';
      }
    } finally {
      // The path only: the query string holds the token.
      log('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Date.now() - started,
      });
    }
  });

  const limitClient = async (ctx: Context, next: Next) => {
    const wait = perClient.hit(ctx.ip);
    if (wait > 0)
      throw new HttpError(429, 'Too many requests. Please wait a minute and try again.', wait);
    await next();
  };

  router.get('/healthz', async (ctx) => {
    await deps.store.byUser('healthz');
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });

  router.put('/token/:userId', async (ctx) => {
    const adminToken = ctx.get('x-auth-token');
    if (!adminToken) throw new HttpError(401, 'X-Auth-Token header required');
    if (!(await isAdmin(adminToken))) {
      throw new HttpError(403, 'token cannot be scoped to the admin project');
    }
    const userId = ctx.params.userId!;
    const body = await readBody(ctx, BODY_LIMIT);
    const password = optionalString(body, 'password');
    const pin = optionalString(body, 'pin');
    const workflowId = optionalString(body, 'workflow_id');
    if (pin !== undefined && !isPin(pin)) throw new HttpError(400, `pin must be ${PIN_RULE}`);
    if (password !== undefined && password.length === 0) {
      throw new HttpError(400, 'password must not be empty');
    }
    const existing = await deps.store.byUser(userId);
    if (!existing && (password === undefined || pin === undefined)) {
      throw new HttpError(400, 'password and pin are both required for a user without a token');
    }
    const token = newToken();
    await deps.store.put({
      userId,
      tokenHash: hashToken(token),
      pinHash: pin !== undefined ? deps.secrets.pinHash(userId, pin) : existing!.pinHash,
      passwordSealed:
        password !== undefined ? deps.secrets.encrypt(userId, password) : existing!.passwordSealed,
      workflowId: workflowId ?? existing?.workflowId ?? null,
      updatedAt: now(),
    });
    log('token issued', { userId });
    ctx.type = 'text/plain';
    ctx.body = token;
  });

  router.get('/', limitClient, async (ctx) => {
    // Never consumes or counts anything: mail scanners open links too.
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!token) {
      return respond(ctx, {
        status: 400,
        title: 'Link incomplete',
        message: 'This page needs the link from your e-mail. Open the link exactly as it was sent.',
        offerReset: true,
      });
    }
    const record = await deps.store.byTokenHash(hashToken(token));
    const problem = record ? tokenProblem(record) : notFound;
    if (problem) return respond(ctx, problem);
    showSetPasswordForm(ctx, token);
  });

  router.post('/', limitClient, async (ctx) => {
    const body = await readBody(ctx, BODY_LIMIT);
    const token =
      optionalString(body, 'token') ?? (typeof ctx.query.token === 'string' ? ctx.query.token : '');
    if (!token) {
      return respond(ctx, {
        status: 400,
        title: 'Link incomplete',
        message: 'The link token is missing. Open the link exactly as it was sent.',
        offerReset: true,
      });
    }
    const wait = perToken.hit(hashToken(token));
    if (wait > 0)
      throw new HttpError(429, 'Too many attempts. Please wait a minute and try again.', wait);
    if (!csrfMatches(ctx, body)) {
      return showSetPasswordForm(
        ctx,
        token,
        403,
        'This form had expired. Please enter your PIN and password again.',
      );
    }
    const pin = optionalString(body, 'pin') ?? '';
    const password = optionalString(body, 'password') ?? '';
    const confirm = optionalString(body, 'confirm_password') ?? '';
    const form = (status: number, error: string) => showSetPasswordForm(ctx, token, status, error);

    if (!pin || !password || !confirm)
      return form(400, 'Please fill in the PIN and the new password twice.');
    if (password !== confirm)
      return form(400, 'The two passwords differ. Type the same password twice.');
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      return form(
        400,
        `The password must be between ${MIN_PASSWORD} and ${MAX_PASSWORD} characters long.`,
      );
    }

    const tokenHash = hashToken(token);
    const record = await deps.store.byTokenHash(tokenHash);
    if (!record) return respond(ctx, notFound);
    // Expired and locked links are refused before the PIN is looked at: no guessing on them.
    const problem = tokenProblem(record);
    if (problem) return respond(ctx, problem);
    if (!deps.secrets.pinMatches(record.userId, pin, record.pinHash)) {
      const attempts = await deps.store.countFailedAttempt(record.userId);
      const left = deps.maxAttempts - attempts;
      log('wrong pin', { userId: record.userId, attempts });
      if (left <= 0) return respond(ctx, locked);
      return form(
        403,
        `Wrong PIN. ${left} attempt${left === 1 ? '' : 's'} left before this link is locked.`,
      );
    }
    if (password === pin) return form(400, 'Your password must be different from your PIN.');

    const temporary = deps.secrets.decrypt(record.userId, record.passwordSealed);
    let result = await deps.keystone.changePassword(record.userId, temporary, password);
    // The API stopped after Keystone took this very password but before the token was used
    // up: the person retrying with it finishes what they started.
    if (
      result === 'wrong-original' &&
      (await deps.keystone.passwordWorks(record.userId, password))
    ) {
      log('password was already set by this link; finishing', { userId: record.userId });
      result = 'changed';
    }
    if (result === 'wrong-original') {
      // The account's password was changed elsewhere: this link can no longer work.
      log('temporary password no longer valid', { userId: record.userId });
      return respond(ctx, {
        status: 409,
        title: 'Link no longer valid',
        message: "This account's password was already changed. Ask for a new link if you need one.",
        offerReset: true,
      });
    }
    if (result !== 'changed') {
      return form(400, `The password was refused: ${passwordPolicyReason(result.refused)}`);
    }
    const event = record.workflowId
      ? { workflowId: record.workflowId, userId: record.userId, at: now() }
      : undefined;
    if (!(await deps.store.consume(tokenHash, event))) return respond(ctx, notFound);
    log('password set', { userId: record.userId });
    if (event) deps.onPasswordSet();
    respond(ctx, {
      status: 200,
      title: 'Password set',
      message:
        'Password set. You can now log in with your user name (your e-mail address) and your new password.',
    });
  });

  router.get('/reset', limitClient, (ctx) => {
    ctx.type = 'text/html';
    ctx.body = resetPage(deps.branding, { csrf: csrfCookie(ctx) });
  });

  router.post('/reset', limitClient, async (ctx) => {
    const body = await readBody(ctx, BODY_LIMIT);
    const name = (optionalString(body, 'name') ?? '').trim();
    const email = (optionalString(body, 'email') ?? '').trim().toLowerCase();
    const confirm = (optionalString(body, 'confirm_email') ?? '').trim().toLowerCase();
    const pin = optionalString(body, 'pin') ?? '';
    const again = (status: number, error: string) => {
      ctx.status = status;
      if (!ctx.accepts('html')) {
        ctx.type = 'text/plain';
        ctx.body = error;
        return;
      }
      ctx.type = 'text/html';
      ctx.body = resetPage(deps.branding, {
        csrf: csrfCookie(ctx),
        error,
        values: { name, email },
      });
    };
    if (!csrfMatches(ctx, body))
      return again(403, 'This form had expired. Please fill it in again.');
    if (!name || name.length > 100 || /[\r\n<>]/.test(name)) {
      return again(400, 'Please give your name (at most 100 characters).');
    }
    if (!isEmail(email)) {
      return again(400, 'Please give the e-mail address of your account, like name@example.org.');
    }
    if (email !== confirm)
      return again(400, 'The two e-mail addresses differ. Type the same address twice.');
    if (!isPin(pin)) return again(400, `The PIN must be ${PIN_RULE}.`);
    // The same answer, at the same moment, whether or not the account exists: the reset
    // workflow looks the account up, and the answer does not wait for it to start (joining a
    // running reset is quicker than starting one, which would tell who has an account).
    deps.startReset({ name, email, pin }).catch((err: unknown) => {
      log('reset could not be started', { error: (err as Error).message });
    });
    respond(ctx, { status: 200, title: 'Check your e-mail', message: RESET_ANSWER });
  });

  function tokenProblem(record: TokenRecord): Outcome | undefined {
    if (now() - record.updatedAt > deps.tokenExpirationMs) return expired;
    if (record.attempts >= deps.maxAttempts) return locked;
    return undefined;
  }

  /** Double-submit cookie: a cross-site page can post a form but cannot read our cookie. */
  function csrfCookie(ctx: Context): string {
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

  function csrfMatches(ctx: Context, body: Record<string, unknown>): boolean {
    const cookie = ctx.cookies.get(CSRF_COOKIE);
    return typeof body.csrf === 'string' && !!cookie && body.csrf === cookie;
  }

  function showSetPasswordForm(ctx: Context, token: string, status = 200, error?: string): void {
    const csrf = csrfCookie(ctx);
    ctx.status = status;
    if (error && !ctx.accepts('html')) {
      ctx.type = 'text/plain';
      ctx.body = error;
      return;
    }
    ctx.type = 'text/html';
    ctx.body = setPasswordPage(deps.branding, {
      token,
      csrf,
      error,
      expiresIn: formatDuration(deps.tokenExpirationMs),
    });
  }

  function respond(ctx: Context, outcome: Outcome): void {
    ctx.status = outcome.status;
    if (!ctx.accepts('html')) {
      ctx.type = 'text/plain';
      ctx.body = outcome.message;
      return;
    }
    ctx.type = 'text/html';
    ctx.body = messagePage(deps.branding, {
      title: outcome.title,
      message: outcome.message,
      kind: outcome.status === 200 ? 'ok' : 'error',
      offerReset: outcome.offerReset,
    });
  }

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

const notFound: Outcome = {
  status: 404,
  title: 'Link not valid',
  message: 'Token not found: this link is unknown or was already used.',
  offerReset: true,
};
const expired: Outcome = {
  status: 403,
  title: 'Link expired',
  message: 'Token expired: this link is too old. Ask for a new link below.',
  offerReset: true,
};
const locked: Outcome = {
  status: 403,
  title: 'Link locked',
  message: 'Link locked: too many wrong PINs. Your account is safe; ask for a new link below.',
  offerReset: true,
};

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${field} must be a string`);
  return value;
}

/** Keystone says "Password validation error: The password does not meet the requirements: <rule>". */
function passwordPolicyReason(message: string): string {
  const rule = /requirements?:\s*(.+)$/i.exec(message)?.[1];
  return rule ? rule.trim() : 'it does not meet the password rules.';
}
