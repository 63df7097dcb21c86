// PUT /request-pin/<request_id> (admins): keep the HMAC of the PIN chosen on the /register form,
// bound to that request (requestPinBinding), until the onboarding has made the user and asks
// PUT /token for a link under it (`pin_request`). The PIN itself never reaches this API.
import type Router from '@koa/router';
import type { AdminGuard } from '../admin-check';
import { BODY_LIMIT, HttpError, optionalString, readBody } from '../body';
import type { RouteDeps } from '../route-deps';
import { isPinHash } from '../secrets';
import { isRequestId, REQUEST_ID_RULE } from '../../shared/form-request-contract';

const PIN_HASH_RULE =
  "64 lower-case hex digits (an HMAC-SHA-256), after the 8-digit key id and ':' that SecretBox.pinHash puts first";

export function requestPinRoute(router: Router, deps: RouteDeps, adminOnly: AdminGuard): void {
  router.put('/request-pin/:requestId', async (ctx) => {
    await adminOnly(ctx);
    const requestId = ctx.params.requestId!;
    if (!isRequestId(requestId)) {
      throw new HttpError(400, `request id must be ${REQUEST_ID_RULE}`);
    }
    const body = await readBody(ctx, BODY_LIMIT);
    const pinHash = optionalString(body, 'pin_hash');
    if (pinHash === undefined || !isPinHash(pinHash)) {
      throw new HttpError(400, `pin_hash must be ${PIN_HASH_RULE}`);
    }
    await deps.store.putRequestPin(requestId, pinHash, deps.now());
    deps.log('request pin kept', { requestId });
    ctx.status = 204;
  });
}
