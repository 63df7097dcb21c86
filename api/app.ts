// The setpass service: admins register a temporary password and PIN for a user and get a token
// (PUT /token/<user_id>, routes/token.ts), the PIN possibly one chosen on the /register form
// and kept by request (PUT /request-pin/<request_id>, routes/request-pin.ts); the person opens
// the mailed link, proves the PIN and chooses a password (routes/set-password.ts); someone who
// lost the link asks for a new one at /reset (routes/reset.ts); anyone may ask for an account or
// more quota at /register and /quota-request, confirmed by a mailed link (routes/request-forms.ts).
import Router from '@koa/router';
import Koa from 'koa';
import { adminOnly } from './admin-check';
import type { RouteDeps, SetpassDeps } from './route-deps';
import { headersErrorsAndLog, limitPerClient } from './middleware';
import { RateLimiter } from './rate-limit';
import { requestPinRoute } from './routes/request-pin';
import { formRequestRoutes } from './routes/request-forms';
import { resetRoutes } from './routes/reset';
import { setPasswordRoutes } from './routes/set-password';
import { tokenRoute } from './routes/token';

export function createApp(setpass: SetpassDeps): Koa {
  const deps: RouteDeps = {
    ...setpass,
    now: setpass.now ?? Date.now,
    log: setpass.log ?? (() => undefined),
  };
  // Behind a proxy, the client is the address the proxy appended to X-Forwarded-For (the last
  // one), never a value the client wrote itself: that would dodge the rate limits.
  const app = new Koa({ proxy: deps.trustProxy, maxIpsCount: 1 });
  const router = new Router();
  const limitClient = limitPerClient(new RateLimiter(deps.rateLimitPerMinute, 60_000, deps.now));
  const perToken = new RateLimiter(deps.tokenRateLimitPerMinute, 60_000, deps.now);

  app.use(headersErrorsAndLog(deps.log));
  router.get('/healthz', async (ctx) => {
    await deps.store.byUser('healthz');
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });
  const admins = adminOnly(deps);
  tokenRoute(router, deps, admins);
  requestPinRoute(router, deps, admins);
  setPasswordRoutes(router, deps, limitClient, perToken);
  resetRoutes(router, deps, limitClient);
  formRequestRoutes(router, deps, limitClient, perToken);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
