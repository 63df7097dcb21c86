// Browsers (the Temporal Web UI) may call only from [codec] allowed_origins; the CLI and curl
// send no Origin and are not browsers, so CORS does not concern them.
import type { Context } from 'koa';
import { Refusal } from './refusal';

export const ALLOW_METHODS = 'POST, OPTIONS';
const ALLOW_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

/** Lets an allowed origin's browser read the answer; any other origin gets a 403. */
export function allowOrigin(
  ctx: Context,
  origin: string | undefined,
  allowed: ReadonlySet<string>,
): void {
  if (origin === undefined) return;
  if (!allowed.has(origin)) {
    throw new Refusal(
      403,
      `origin ${origin} may not call this codec endpoint: add it to [codec] allowed_origins`,
    );
  }
  ctx.set('Access-Control-Allow-Origin', origin);
  ctx.set('Access-Control-Allow-Credentials', 'true');
}

/** The answer to a preflight OPTIONS of /decode or /encode. */
export function answerPreflight(ctx: Context, origin: string | undefined): void {
  ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS);
  ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
  ctx.set('Access-Control-Max-Age', '600');
  // Chrome's Private Network Access: a UI on a public address calling a loopback endpoint.
  if (origin && ctx.get('access-control-request-private-network') === 'true') {
    ctx.set('Access-Control-Allow-Private-Network', 'true');
  }
  ctx.set('Allow', ALLOW_METHODS);
  ctx.status = 204;
}
