// Admin tokens on PUT /token and PUT /request-pin are checked with Keystone once a minute, not
// on every request: a worker issues hundreds of links with the same admin token, and each check
// is a token issuance in Keystone. A revoked admin token keeps working here for at most `ttlMs`.
import type { Context } from 'koa';
import { HttpError } from './body';
import type { RouteDeps } from './route-deps';
import { hashToken } from './secrets';

const MAX_REMEMBERED = 1000;

export function cachedAdminCheck(
  check: (token: string) => Promise<boolean>,
  ttlMs: number,
  now: () => number = Date.now,
): (token: string) => Promise<boolean> {
  const passed = new Map<string, number>(); // hash of the token → when Keystone accepted it
  return async (token) => {
    const key = hashToken(token);
    const at = passed.get(key);
    if (at !== undefined && now() - at < ttlMs) return true;
    passed.delete(key);
    const ok = await check(token);
    if (ok) {
      if (passed.size >= MAX_REMEMBERED) passed.clear();
      passed.set(key, now());
    }
    return ok;
  };
}

/** How long an admin token that Keystone accepted is trusted without asking again. */
const ADMIN_CHECK_TTL_MS = 60_000;

/** Refuses the request (HttpError) unless it carries an admin's X-Auth-Token. */
export type AdminGuard = (ctx: Context) => Promise<void>;

/**
 * The guard of the admin routes (PUT /token, PUT /request-pin): 401 without X-Auth-Token, 403
 * when it cannot be scoped to the admin project. Made once per app, so the routes share a cache.
 */
export function adminOnly(deps: Pick<RouteDeps, 'keystone' | 'now'>): AdminGuard {
  const isAdmin = cachedAdminCheck(
    (token) => deps.keystone.canScopeToAdminProject(token),
    ADMIN_CHECK_TTL_MS,
    deps.now,
  );
  return async (ctx) => {
    const adminToken = ctx.get('x-auth-token');
    if (!adminToken) throw new HttpError(401, 'X-Auth-Token header required');
    if (!(await isAdmin(adminToken))) {
      throw new HttpError(403, 'token cannot be scoped to the admin project');
    }
  };
}
