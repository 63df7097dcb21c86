// GET /confirm shows a form request's mailed link: its button and what it confirms, read from
// the request's workflow, and changes nothing (mail scanners open links); POST /confirm confirms.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { requestIdOfToken } from '../../shared/form-request-contract';
import { BODY_LIMIT, optionalString, readBody } from '../body';
import { csrfCookie, csrfMatches } from '../csrf';
import type { RouteDeps } from '../route-deps';
import { confirmPage } from '../form-pages';
import type { RateLimiter } from '../rate-limit';
import { respond } from '../respond';
import { hashToken } from '../secrets';

/** The answer to a confirmation, naming the request when it could be read. */
const confirmed = (subject?: string) =>
  `Thank you: your request${subject ? ` for ${subject}` : ''} is confirmed and goes to the approvers. You will hear from us by e-mail.`;
const LINK_NOT_VALID =
  'This confirmation link is not valid: it was used already, or the request expired unconfirmed. Fill in the form again.';

export function confirmRequestRoutes(
  router: Router,
  deps: RouteDeps,
  limitClient: Middleware,
  perToken: RateLimiter,
): void {
  const forms = deps.forms;
  if (!forms) return;

  /** What the link's request asks for; 'unknown' when no request has this token. */
  const subjectOf = async (
    requestId: string,
    token: string,
  ): Promise<string | 'unknown' | undefined> => {
    try {
      return (await forms.subject(requestId, hashToken(token))) ?? 'unknown';
    } catch (err) {
      // Temporal unreachable: the page names nothing, its button still works once it is back.
      deps.log('form request could not be read', { error: (err as Error).message });
      return undefined;
    }
  };

  router.get('/confirm', limitClient, async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const requestId = requestIdOfToken(token);
    if (!requestId) return notValid(ctx);
    const subject = await subjectOf(requestId, token);
    if (subject === 'unknown') return notValid(ctx);
    ctx.type = 'text/html';
    ctx.body = confirmPage(deps.branding, { token, csrf: csrfCookie(ctx), subject });
  });

  router.post('/confirm', limitClient, async (ctx) => {
    const body = await readBody(ctx, BODY_LIMIT);
    const token = optionalString(body, 'token') ?? '';
    const requestId = requestIdOfToken(token);
    if (!requestId) return notValid(ctx);
    const wait = perToken.hit(`confirm:${requestId}`);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return respond(ctx, deps.branding, {
        status: 429,
        title: 'Too many tries',
        message: 'Too many tries with this link. Please wait a minute and try again.',
      });
    }
    if (!csrfMatches(ctx, body)) {
      const subject = await subjectOf(requestId, token);
      ctx.status = 403;
      ctx.type = 'text/html';
      ctx.body = confirmPage(deps.branding, {
        token,
        csrf: csrfCookie(ctx),
        subject: subject === 'unknown' ? undefined : subject,
      });
      return;
    }
    let result: 'confirmed' | 'refused';
    try {
      result = await forms.confirm(requestId, hashToken(token));
    } catch (err) {
      deps.log('confirmation failed', { error: (err as Error).message });
      return respond(ctx, deps.branding, {
        status: 503,
        title: 'Please try again',
        message: 'We could not confirm your request just now. Please try again in a few minutes.',
      });
    }
    deps.log(result === 'confirmed' ? 'form request confirmed' : 'confirmation refused', {
      requestId,
    });
    if (result === 'refused') return notValid(ctx);
    const subject = await subjectOf(requestId, token);
    respond(ctx, deps.branding, {
      status: 200,
      title: 'Request confirmed',
      message: confirmed(subject === 'unknown' ? undefined : subject),
    });
  });

  function notValid(ctx: Context): void {
    respond(ctx, deps.branding, { status: 404, title: 'Link not valid', message: LINK_NOT_VALID });
  }
}
