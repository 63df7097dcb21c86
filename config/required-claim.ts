// [codec] required_claim: `claim=value`, the claim an access token must carry to use the codec
// endpoint. Parsed here for start-up checks; codec/claims.ts checks tokens against it.

/** `groups=kaizen-admins`: the claim (a dotted path such as realm_access.roles) and its value. */
export interface RequiredClaim {
  claim: string;
  value: string;
}

/** The written-down choice to check no claim: every token of the audience is accepted. */
export const NO_REQUIRED_CLAIM = 'none';

const EXAMPLES = 'e.g. groups=kaizen-admins, or realm_access.roles=kaizen-admins for Keycloak';

/** `rule: null` for none; an error says what is wrong, meant for the operator. */
export function parseRequiredClaim(
  text: string,
): { rule: RequiredClaim | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === NO_REQUIRED_CLAIM) return { rule: null };
  // Only the first = splits: a value may hold one (an LDAP group's DN).
  const at = trimmed.indexOf('=');
  if (at < 0) return { error: `expected claim=value, ${EXAMPLES}` };
  const claim = trimmed.slice(0, at).trim();
  const value = trimmed.slice(at + 1).trim();
  if (!claim) return { error: `no claim name before =, ${EXAMPLES}` };
  if (/\s/.test(claim)) return { error: `no spaces in the claim name, ${EXAMPLES}` };
  if (claim.split('.').some((part) => part === '')) {
    return { error: `empty part in the claim path ${JSON.stringify(claim)}, ${EXAMPLES}` };
  }
  if (!value) return { error: `no value after =, ${EXAMPLES}` };
  return { rule: { claim, value } };
}
