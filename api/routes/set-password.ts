// GET / shows the set-password form for a mailed link; POST / checks the form and sets the
// password (api/password-from-link.ts). Opening a link consumes and counts nothing: mail scanners
// open links too. POST answers a bad form (400) and a dead link (404, 403) before the CSRF
// check, as the original setpass did for callers that send no cookie; CSRF guards live links.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { formatDuration } from '../../config/duration';
import { BODY_LIMIT, HttpError, optionalString, readBody } from '../body';
import { csrfMatches } from '../csrf';
import type { RouteDeps } from '../route-deps';
import type { RateLimiter } from '../rate-limit';
import { respond, showSetPasswordForm } from '../respond';
import { hashToken } from '../secrets';
import { linkProblem, setPassword } from '../password-from-link';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

export function setPasswordRoutes(
  router: Router,
  deps: RouteDeps,
  limitClient: Middleware,
  perToken: RateLimiter,
): void {
  const expiresIn = formatDuration(deps.tokenExpirationMs);
  const form = (ctx: Context, token: string, status?: number, error?: string) =>
    showSetPasswordForm(ctx, deps.branding, { token, expiresIn }, status, error);

  router.get('/', limitClient, async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!token) {
      return respond(ctx, deps.branding, {
        status: 400,
        title: 'Link incomplete',
        message: 'This page needs the link from your e-mail. Open the link exactly as it was sent.',
        offerReset: true,
      });
    }
    const problem = await linkProblem(deps, token);
    if (problem) return respond(ctx, deps.branding, problem);
    form(ctx, token);
  });

  router.post('/', limitClient, async (ctx) => {
    const body = await readBody(ctx, BODY_LIMIT);
    const token =
      optionalString(body, 'token') ?? (typeof ctx.query.token === 'string' ? ctx.query.token : '');
    if (!token) {
      return respond(ctx, deps.branding, {
        status: 400,
        title: 'Link incomplete',
        message: 'The link token is missing. Open the link exactly as it was sent.',
        offerReset: true,
      });
    }
    const wait = perToken.hit(hashToken(token));
    if (wait > 0)
      throw new HttpError(429, 'Too many attempts. Please wait a minute and try again.', wait);
    const pin = optionalString(body, 'pin') ?? '';
    const password = optionalString(body, 'password') ?? '';
    const confirm = optionalString(body, 'confirm_password') ?? '';
    if (!pin || !password || !confirm)
      return form(ctx, token, 400, 'Please fill in the PIN and the new password twice.');
    if (password !== confirm)
      return form(ctx, token, 400, 'The two passwords differ. Type the same password twice.');
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      return form(
        ctx,
        token,
        400,
        `The password must be between ${MIN_PASSWORD} and ${MAX_PASSWORD} characters long.`,
      );
    }
    // The link before the CSRF check: GET /?token= already tells any client as much.
    const problem = await linkProblem(deps, token);
    if (problem) return respond(ctx, deps.branding, problem);
    if (!csrfMatches(ctx, body))
      return form(
        ctx,
        token,
        403,
        'This form had expired. Please enter your PIN and password again.',
      );

    const result = await setPassword(deps, { token, pin, password });
    if (result.kind === 'link-refused') return respond(ctx, deps.branding, result.outcome);
    if (result.kind === 'try-again') return form(ctx, token, result.status, result.error);
    respond(ctx, deps.branding, {
      status: 200,
      title: 'Password set',
      message:
        'Password set. You can now log in with your user name (your e-mail address) and your new password.',
    });
  });
}
