// The setpass service: admins register a temporary password and PIN for a user and get a token
// (PUT /token/<user_id>); the person opens the mailed link, proves the PIN and chooses a password.
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { formatDuration } from '../config/duration';
import { HttpError, readBody } from './body';
import { messagePage, setPasswordPage, type PageBranding } from './pages';
import { hashToken, newToken, type SecretBox } from './secrets';
import type { TokenRecord, TokenStore } from './token-store';

export interface SetpassKeystone {
  canScopeToAdminProject(token: string): Promise<boolean>;
  changePassword(
    userId: string,
    originalPassword: string,
    password: string,
  ): Promise<'changed' | 'wrong-original' | { refused: string }>;
}

/** Tells the onboarding workflow that the password is set; must not throw into the request. */
export type PasswordSetNotifier = (workflowId: string, userId: string) => Promise<void>;

export interface SetpassDeps {
  store: TokenStore;
  secrets: SecretBox;
  keystone: SetpassKeystone;
  notifyPasswordSet: PasswordSetNotifier;
  branding: PageBranding;
  tokenExpirationMs: number;
  maxAttempts: number;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const BODY_LIMIT = 8 * 1024;
const PIN_SHAPE = /^\d{4}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

type Outcome = {
  status: number;
  title: string;
  message: string;
  offerReset?: boolean;
  showForm?: boolean;
};

export function createApp(deps: SetpassDeps): Koa {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  const app = new Koa();
  const router = new Router();

  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.type = 'text/plain';
        ctx.body = err.message;
        return;
      }
      // Details go to the log, never to the page.
      log('request failed', { path: ctx.path, error: (err as Error).message });
      ctx.status = 500;
      ctx.type = 'text/plain';
      ctx.body = 'Something went wrong on our side. Please try again in a few minutes.';
    }
  });

  router.put('/token/:userId', async (ctx) => {
    const adminToken = ctx.get('x-auth-token');
    if (!adminToken) throw new HttpError(401, 'X-Auth-Token header required');
    if (!(await deps.keystone.canScopeToAdminProject(adminToken))) {
      throw new HttpError(403, 'token cannot be scoped to the admin project');
    }
    const userId = ctx.params.userId!;
    const body = await readBody(ctx, BODY_LIMIT);
    const existing = deps.store.byUser(userId);
    const password = optionalString(body, 'password');
    const pin = optionalString(body, 'pin');
    const workflowId = optionalString(body, 'workflow_id');
    if (pin !== undefined && !PIN_SHAPE.test(pin))
      throw new HttpError(400, 'pin must be exactly 4 digits');
    if (password !== undefined && password.length === 0)
      throw new HttpError(400, 'password must not be empty');
    if (!existing && (password === undefined || pin === undefined)) {
      throw new HttpError(400, 'password and pin are both required for a user without a token');
    }
    const token = newToken();
    deps.store.put({
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

  router.get('/', (ctx) => {
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
    const record = deps.store.byTokenHash(hashToken(token));
    const problem = record ? tokenProblem(record) : notFound;
    if (problem) return respond(ctx, problem);
    ctx.type = 'text/html';
    ctx.body = setPasswordPage(deps.branding, {
      token,
      expiresIn: formatDuration(deps.tokenExpirationMs),
    });
  });

  router.post('/', async (ctx) => {
    const body = await readBody(ctx, BODY_LIMIT);
    const token =
      optionalString(body, 'token') ?? (typeof ctx.query.token === 'string' ? ctx.query.token : '');
    const pin = optionalString(body, 'pin') ?? '';
    const password = optionalString(body, 'password') ?? '';
    const confirm = optionalString(body, 'confirm_password') ?? '';
    const form = (status: number, error: string) =>
      respond(
        ctx,
        { status, title: 'Choose your password', message: error, showForm: true },
        token,
      );

    if (!token)
      return respond(ctx, {
        status: 400,
        title: 'Link incomplete',
        message: 'The link token is missing. Open the link exactly as it was sent.',
        offerReset: true,
      });
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
    const record = deps.store.byTokenHash(tokenHash);
    if (!record) return respond(ctx, notFound);
    const problem = tokenProblem(record);
    if (problem) return respond(ctx, problem);
    if (password === pin) return form(400, 'Your password must be different from your PIN.');
    if (!deps.secrets.pinMatches(record.userId, pin, record.pinHash)) {
      const attempts = deps.store.countFailedAttempt(record.userId);
      const left = deps.maxAttempts - attempts;
      log('wrong pin', { userId: record.userId, attempts });
      if (left <= 0) return respond(ctx, locked);
      return form(
        403,
        `Wrong PIN. ${left} attempt${left === 1 ? '' : 's'} left before this link is locked.`,
      );
    }

    const temporary = deps.secrets.decrypt(record.userId, record.passwordSealed);
    const result = await deps.keystone.changePassword(record.userId, temporary, password);
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
    if (result !== 'changed')
      return form(400, `The password was refused: ${passwordPolicyReason(result.refused)}`);
    if (!deps.store.consume(tokenHash)) return respond(ctx, notFound);
    log('password set', { userId: record.userId });
    if (record.workflowId) await deps.notifyPasswordSet(record.workflowId, record.userId);
    respond(ctx, {
      status: 200,
      title: 'Password set',
      message: 'Password set. You can now log in with your e-mail address and your new password.',
    });
  });

  function tokenProblem(record: TokenRecord): Outcome | undefined {
    if (now() - record.updatedAt > deps.tokenExpirationMs) return expired;
    if (record.attempts >= deps.maxAttempts) return locked;
    return undefined;
  }

  function respond(ctx: Context, outcome: Outcome, token?: string): void {
    ctx.status = outcome.status;
    if (!ctx.accepts('html')) {
      ctx.type = 'text/plain';
      ctx.body = outcome.message;
      return;
    }
    ctx.type = 'text/html';
    ctx.body =
      outcome.showForm && token
        ? setPasswordPage(deps.branding, {
            token,
            error: outcome.message,
            expiresIn: formatDuration(deps.tokenExpirationMs),
          })
        : messagePage(deps.branding, {
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
  message: 'Token expired: this link is too old. Ask for a new link.',
  offerReset: true,
};
const locked: Outcome = {
  status: 403,
  title: 'Link locked',
  message: 'Account locked, too many wrong attempts. Ask for a new link.',
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
