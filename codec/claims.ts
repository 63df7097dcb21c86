// [codec] required_claim against a verified token: the issuer vouches for who the caller is, this
// says whether they are one of the admins (a group or role the issuer puts in the token).
import type { RequiredClaim } from '../config/required-claim';
import type { TokenClaims } from './jwt';

/** A good token without the required claim: a 403; the message says why and is for the caller. */
export class InsufficientClaimError extends Error {
  override name = 'InsufficientClaimError';
}

/**
 * The claim at a dotted path. A claim's own name may hold dots (a Keycloak client id, a namespaced
 * claim such as https://kaizen.example.org/roles), so every split of the path is tried, longest
 * name first. Own properties only: `constructor` or an array's `length` is no claim.
 */
export function claimAt(claims: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return claims;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  for (let i = path.length; i >= 1; i--) {
    const name = path.slice(0, i).join('.');
    if (!Object.hasOwn(claims, name)) continue;
    const found = claimAt((claims as Record<string, unknown>)[name], path.slice(i));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Throws InsufficientClaimError unless the claim is, or lists, the required value. */
export function checkRequiredClaim(claims: TokenClaims, rule: RequiredClaim): void {
  const found = claimAt(claims, rule.claim.split('.'));
  if (found === undefined || found === null) {
    throw new InsufficientClaimError(
      `the token has no ${rule.claim} claim, and [codec] required_claim requires it to include ${rule.value}: ` +
        "the OIDC provider must put that claim in the Web UI's access tokens (Keycloak: a mapper on the UI's client)",
    );
  }
  let values: unknown[];
  if (typeof found === 'string') {
    // scope is one space-separated string (RFC 8693); any other string must match whole.
    values = rule.claim === 'scope' ? found.split(' ') : [found];
  } else if (Array.isArray(found)) {
    values = found;
  } else {
    throw new InsufficientClaimError(
      `the token's ${rule.claim} claim is not a string or a list of strings, so it cannot include ${rule.value} ([codec] required_claim)`,
    );
  }
  if (!values.includes(rule.value)) {
    throw new InsufficientClaimError(
      `the token's ${rule.claim} claim does not include ${rule.value}, which [codec] required_claim requires: ` +
        'ask for it at the OIDC provider, then log in again',
    );
  }
}
