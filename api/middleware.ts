// What every request goes through: security headers, errors turned into answers (details to the
// log, never to the page), one access-log line without the query string, and rate limits.
import type { Context, Middleware, Next } from 'koa';
import { HttpError } from './body';
import type { Limiter } from './rate-limit';

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export function headersErrorsAndLog(log: Log): Middleware {
  return async (ctx, next) => {
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
  };
}

/** Refuses a client (by address) over its limit with a 429 and Retry-After. */
export function limitPerClient(limiter: Limiter) {
  return async (ctx: Context, next: Next) => {
    const wait = await limiter.hit(ctx.ip);
    if (wait > 0)
      throw new HttpError(429, 'Too many requests. Please wait a minute and try again.', wait);
    await next();
  };
}
