// [codec] auth = bearer: an OIDC access token in Authorization, answered per RFC 6750 so that
// clients learn from WWW-Authenticate what was wrong: 401 for a token that is not good (signature,
// issuer, expiry, audience), 403 for a good one without [codec] required_claim.
import type { Context } from 'koa';
import type { RequiredClaim } from '../config/required-claim';
import { checkRequiredClaim, InsufficientClaimError } from './claims';
import { TokenError } from './jwt';
import type { TokenVerifier } from './oidc';
import { Refusal } from './refusal';

const REALM = 'kaizen-codec';

/** `error_description` of WWW-Authenticate is a quoted string: no quotes or backslashes inside. */
const quoted = (text: string) => `"${text.replace(/["\\]/g, "'")}"`;

/**
 * Sets ctx.state.subject (for the log) from a good token, or throws a 401 Refusal; then a 403
 * Refusal unless the token carries `requiredClaim` (null: none is checked).
 */
export async function authenticate(
  ctx: Context,
  verifier: TokenVerifier,
  requiredClaim: RequiredClaim | null,
): Promise<void> {
  const header = ctx.get('authorization');
  const token = /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
  if (!token) {
    throw new Refusal(
      401,
      header
        ? 'no bearer token: the Authorization header must be "Bearer <access token>"'
        : 'no bearer token: send Authorization: Bearer <access token> (Web UI: codec server settings, pass access token)',
      { 'WWW-Authenticate': `Bearer realm=${quoted(REALM)}` },
    );
  }
  let claims;
  try {
    claims = await verifier.verify(token);
  } catch (err) {
    if (err instanceof TokenError) {
      throw new Refusal(401, err.message, {
        'WWW-Authenticate': `Bearer realm=${quoted(REALM)}, error="invalid_token", error_description=${quoted(err.message)}`,
      });
    }
    throw err;
  }
  // Known before the claim check, so that a refusal's log line says whom to grant the role.
  if (typeof claims.sub === 'string') ctx.state.subject = claims.sub;
  if (requiredClaim === null) return;
  try {
    checkRequiredClaim(claims, requiredClaim);
  } catch (err) {
    if (err instanceof InsufficientClaimError) {
      throw new Refusal(403, err.message, {
        'WWW-Authenticate': `Bearer realm=${quoted(REALM)}, error="insufficient_scope", error_description=${quoted(err.message)}`,
      });
    }
    throw err;
  }
}
