// PUT /token/<user_id> (admins): register a temporary password and PIN for a user, get a token.
// Either may be left out to keep the one on record: a new link under the same PIN.
import type Router from '@koa/router';
import { isPin, PIN_RULE } from '../../shared/text-rules';
import { cachedAdminCheck } from '../admin-check';
import { BODY_LIMIT, HttpError, optionalString, readBody } from '../body';
import type { RouteDeps } from '../deps';
import { hashToken, newToken } from '../secrets';

const ADMIN_CHECK_TTL_MS = 60_000;

export function tokenRoute(router: Router, deps: RouteDeps): void {
  const isAdmin = cachedAdminCheck(
    (token) => deps.keystone.canScopeToAdminProject(token),
    ADMIN_CHECK_TTL_MS,
    deps.now,
  );
  router.put('/token/:userId', async (ctx) => {
    const adminToken = ctx.get('x-auth-token');
    if (!adminToken) throw new HttpError(401, 'X-Auth-Token header required');
    if (!(await isAdmin(adminToken))) {
      throw new HttpError(403, 'token cannot be scoped to the admin project');
    }
    const userId = ctx.params.userId!;
    const body = await readBody(ctx, BODY_LIMIT);
    const password = optionalString(body, 'password');
    const pin = optionalString(body, 'pin');
    const workflowId = optionalString(body, 'workflow_id');
    if (pin !== undefined && !isPin(pin)) throw new HttpError(400, `pin must be ${PIN_RULE}`);
    if (password !== undefined && password.length === 0) {
      throw new HttpError(400, 'password must not be empty');
    }
    const existing = await deps.store.byUser(userId);
    if (!existing && (password === undefined || pin === undefined)) {
      throw new HttpError(400, 'password and pin are both required for a user without a token');
    }
    const token = newToken();
    await deps.store.put({
      userId,
      tokenHash: hashToken(token),
      pinHash: pin !== undefined ? deps.secrets.pinHash(userId, pin) : existing!.pinHash,
      passwordSealed:
        password !== undefined ? deps.secrets.encrypt(userId, password) : existing!.passwordSealed,
      workflowId: workflowId ?? existing?.workflowId ?? null,
      updatedAt: deps.now(),
    });
    deps.log('token issued', { userId });
    ctx.type = 'text/plain';
    ctx.body = token;
  });
}
