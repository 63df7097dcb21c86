// The codec endpoint as a Koa app: security headers and CORS on every answer, routing, every
// failure turned into a JSON answer, and one log line per request.
import Koa from 'koa';
import { allowOrigin, ALLOW_METHODS, answerPreflight } from './cors';
import type { CodecServerDeps } from './deps';
import { ROUTES, transform } from './handlers';
import { IssuerUnavailableError } from './oidc';
import { Refusal } from './refusal';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function createCodecServer(deps: CodecServerDeps): Koa {
  const log = deps.log ?? (() => undefined);
  const limit = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const allowed = new Set(deps.allowedOrigins);
  const app = new Koa();

  app.use(async (ctx) => {
    const started = performance.now();
    const origin = ctx.get('origin') || undefined;
    let detail: Record<string, unknown> = {};
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.vary('Origin');
    try {
      allowOrigin(ctx, origin, allowed);
      const route = ROUTES.find((r) => r === ctx.path);
      if (route && ctx.method === 'POST') {
        await transform(ctx, route, deps, limit);
      } else if (route && ctx.method === 'OPTIONS') {
        answerPreflight(ctx, origin);
      } else if (route) {
        ctx.set('Allow', ALLOW_METHODS);
        throw new Refusal(405, `${ctx.method} ${ctx.path}: use POST`);
      } else if (ctx.path === '/healthz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
        ctx.type = 'text/plain';
        ctx.body = 'ok';
      } else {
        throw new Refusal(
          404,
          `no such endpoint: ${ctx.method} ${ctx.path} (POST /decode, POST /encode)`,
        );
      }
    } catch (err) {
      if (err instanceof Refusal) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.message };
        detail = { reason: err.message };
      } else if (err instanceof IssuerUnavailableError) {
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        ctx.body = { error: 'cannot check the token now: the OIDC issuer is unavailable' };
        detail = { error: err.message };
      } else {
        // Details go to the log only; they could hold anything.
        ctx.status = 500;
        ctx.body = { error: 'the codec endpoint failed; its log says why' };
        detail = { error: (err as Error).message };
      }
    } finally {
      // Never the payloads, decoded or not.
      log('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
        origin: origin ?? null,
        ...(typeof ctx.state.subject === 'string' ? { subject: ctx.state.subject } : {}),
        ...detail,
      });
    }
  });
  return app;
}
