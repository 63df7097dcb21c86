// PUT /token/<user_id> (admins): register a temporary password and PIN for a user, get a token.
// Either may be left out to keep the one on record: a new link under the same PIN. Instead of a
// PIN, `pin_request` names a /register request whose PIN (PUT /request-pin) the link takes.
// DELETE /token/<user_id>[?workflow_id=…] (admins): revoke the link (only the named workflow's).
import type Router from '@koa/router';
import {
  isRequestId,
  REQUEST_ID_RULE,
  requestPinBinding,
} from '../../shared/form-request-contract';
import { isPin, PIN_RULE } from '../../shared/text-rules';
import type { AdminGuard } from '../admin-check';
import { BODY_LIMIT, HttpError, optionalString, readBody } from '../body';
import type { RouteDeps } from '../route-deps';
import { hashToken, newToken } from '../secrets';
import type { TokenRecord } from '../token-store';

type PinOnRecord = Pick<TokenRecord, 'pinHash' | 'pinBinding'>;

export function tokenRoute(router: Router, deps: RouteDeps, adminOnly: AdminGuard): void {
  /** The PIN the body gives (typed, or chosen on a form request), or undefined to keep it. */
  async function pinOfBody(
    userId: string,
    body: Record<string, unknown>,
  ): Promise<PinOnRecord | undefined> {
    const pin = optionalString(body, 'pin');
    const requestId = optionalString(body, 'pin_request');
    if (pin !== undefined && requestId !== undefined) {
      throw new HttpError(400, 'give either pin or pin_request, not both');
    }
    if (pin !== undefined) {
      if (!isPin(pin)) throw new HttpError(400, `pin must be ${PIN_RULE}`);
      return { pinHash: deps.secrets.pinHash(userId, pin), pinBinding: null };
    }
    if (requestId === undefined) return undefined;
    if (!isRequestId(requestId)) throw new HttpError(400, `pin_request must be ${REQUEST_ID_RULE}`);
    const pinHash = await deps.store.requestPinHash(requestId);
    if (pinHash === undefined) {
      throw new HttpError(400, `no PIN was set on the form for request ${requestId}`);
    }
    return { pinHash, pinBinding: requestPinBinding(requestId) };
  }

  router.put('/token/:userId', async (ctx) => {
    await adminOnly(ctx);
    const userId = ctx.params.userId!;
    const body = await readBody(ctx, BODY_LIMIT);
    const password = optionalString(body, 'password');
    const workflowId = optionalString(body, 'workflow_id');
    if (password !== undefined && password.length === 0) {
      throw new HttpError(400, 'password must not be empty');
    }
    const givenPin = await pinOfBody(userId, body);
    const existing = await deps.store.byUser(userId);
    if (!existing && (password === undefined || givenPin === undefined)) {
      throw new HttpError(
        400,
        'password and pin are both required for a user without a token (pin_request may stand for pin)',
      );
    }
    // A re-issued link keeps the PIN on record, and what that PIN's hash is bound to.
    const pin = givenPin ?? { pinHash: existing!.pinHash, pinBinding: existing!.pinBinding };
    // No link that no PIN could open: the caller (an onboarding) fails and the admins hear why.
    if (!deps.secrets.holdsKeyOf(pin.pinHash)) {
      throw new HttpError(
        409,
        `the PIN on record for this ${givenPin ? 'request' : 'user'} was hashed under a setpass key no longer in [secrets] setpass_key or previous_setpass_keys: put that key back in previous_setpass_keys, or give a new pin (the person can choose one on the reset form)`,
      );
    }
    const token = newToken();
    await deps.store.put({
      userId,
      tokenHash: hashToken(token),
      ...pin,
      passwordSealed:
        password !== undefined ? deps.secrets.encrypt(userId, password) : existing!.passwordSealed,
      workflowId: workflowId ?? existing?.workflowId ?? null,
      updatedAt: deps.now(),
    });
    deps.log('token issued', { userId });
    ctx.type = 'text/plain';
    ctx.body = token;
  });

  // Idempotent: revoking a link that is gone (used, revoked, never issued) answers the same 200.
  router.delete('/token/:userId', async (ctx) => {
    await adminOnly(ctx);
    const userId = ctx.params.userId!;
    const workflowId = typeof ctx.query.workflow_id === 'string' ? ctx.query.workflow_id : null;
    const revoked = await deps.store.revoke(userId, workflowId);
    if (revoked) deps.log('token revoked', { userId, workflowId });
    ctx.body = { revoked };
  });
}
