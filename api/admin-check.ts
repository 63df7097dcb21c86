// Admin tokens on PUT /token are checked with Keystone once a minute, not on every request: a
// worker issues hundreds of links with the same admin token, and each check is a token
// issuance in Keystone. A revoked admin token keeps working here for at most `ttlMs`.
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
