// GET /reset shows the form to ask for a new link; POST /reset starts the reset workflow. The
// answer is the same, at the same moment, whether or not the account exists.
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { isEmail, isPin, PIN_RULE } from '../../shared/text-rules';
import { BODY_LIMIT, optionalString, readBody } from '../body';
import { csrfCookie, csrfMatches } from '../csrf';
import type { RouteDeps } from '../route-deps';
import { resetPage } from '../pages';
import { respond } from '../respond';

export const RESET_ANSWER =
  'If an account with this address exists, a new set-password link is on its way to it. It can take a few minutes.';

export function resetRoutes(router: Router, deps: RouteDeps, limitClient: Middleware): void {
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
    // The reset workflow looks the account up, and the answer does not wait for it to start
    // (joining a running reset is quicker than starting one, which would tell who has an account).
    deps.startReset({ name, email, pin }).catch((err: unknown) => {
      deps.log('reset could not be started', { error: (err as Error).message });
    });
    respond(ctx, deps.branding, { status: 200, title: 'Check your e-mail', message: RESET_ANSWER });
  });
}
