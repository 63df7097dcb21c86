// Checks an OIDC access token (a JWS-signed JWT) with node:crypto alone: RS256 or ES256 signature
// against the issuer's published keys, then iss, exp, nbf and aud. Pure: keys and clock are given.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The token is refused; the message says why and is meant for the caller. */
export class TokenError extends Error {
  override name = 'TokenError';
}

export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256'] as const;
export type Algorithm = (typeof ACCEPTED_ALGORITHMS)[number];

/** Clock skew tolerated on exp and nbf, in seconds. */
export const LEEWAY_SECONDS = 60;

export interface TokenHeader {
  alg: Algorithm;
  kid?: string;
}

export interface TokenClaims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
  nbf?: unknown;
  [claim: string]: unknown;
}

export interface ParsedToken {
  header: TokenHeader;
  claims: TokenClaims;
  signedPart: Buffer;
  signature: Buffer;
}

export interface VerificationKey {
  kid?: string;
  alg: Algorithm;
  key: KeyObject;
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw new TokenError(`malformed token: its ${what} is not a base64url JSON object`);
}

export function parseToken(token: string): ParsedToken {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new TokenError('malformed token: expected a JWT (three base64url parts)');
  }
  const [head, body, signature] = parts as [string, string, string];
  const header = jsonPart(head, 'header');
  if (!ACCEPTED_ALGORITHMS.includes(header.alg as Algorithm)) {
    throw new TokenError(
      `token algorithm ${JSON.stringify(header.alg)} is not accepted: ${ACCEPTED_ALGORITHMS.join(' or ')}`,
    );
  }
  return {
    header: {
      alg: header.alg as Algorithm,
      ...(typeof header.kid === 'string' ? { kid: header.kid } : {}),
    },
    claims: jsonPart(body, 'payload'),
    signedPart: Buffer.from(`${head}.${body}`),
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** The signing keys of a JWKS document; keys not usable for RS256 or ES256 signatures are left out. */
export function verificationKeys(jwks: unknown): VerificationKey[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('the JWKS document has no "keys" array');
  const out: VerificationKey[] = [];
  for (const jwk of keys as Record<string, unknown>[]) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const alg: Algorithm | undefined =
      jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
    if (!alg || (jwk.alg !== undefined && jwk.alg !== alg)) continue;
    try {
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      out.push({ alg, key, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) });
    } catch {
      // A key node:crypto cannot read cannot have signed anything we accept.
    }
  }
  return out;
}

/** The keys that could have signed the token: same algorithm, and the same kid when it has one. */
export function candidateKeys(
  token: ParsedToken,
  keys: readonly VerificationKey[],
): VerificationKey[] {
  return keys.filter(
    (k) =>
      k.alg === token.header.alg && (token.header.kid === undefined || k.kid === token.header.kid),
  );
}

export function signatureValid(token: ParsedToken, key: VerificationKey): boolean {
  try {
    if (key.alg === 'ES256') {
      // JWS carries r || s (64 bytes), not the DER that node:crypto expects by default.
      return (
        token.signature.length === 64 &&
        verify(
          'sha256',
          token.signedPart,
          { key: key.key, dsaEncoding: 'ieee-p1363' },
          token.signature,
        )
      );
    }
    return verify('sha256', token.signedPart, key.key, token.signature);
  } catch {
    return false; // a signature of the wrong shape for the key
  }
}

export interface ClaimRules {
  issuer: string;
  /** `aud` must be or contain it ([codec] oidc_audience). */
  audience: string;
  /** Milliseconds since the epoch. */
  now: number;
}

/** Throws TokenError unless iss, exp, nbf and aud are acceptable. */
export function checkClaims(claims: TokenClaims, rules: ClaimRules): void {
  if (claims.iss !== rules.issuer) {
    throw new TokenError(
      `issuer mismatch: the token is from ${JSON.stringify(claims.iss)}, expected ${JSON.stringify(rules.issuer)}`,
    );
  }
  const now = rules.now / 1000;
  if (typeof claims.exp !== 'number') throw new TokenError('token has no expiry (exp)');
  if (now > claims.exp + LEEWAY_SECONDS) {
    throw new TokenError(`token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number') throw new TokenError('token nbf is not a number');
    if (now + LEEWAY_SECONDS < claims.nbf) {
      throw new TokenError(
        `token not valid yet: not before ${new Date(claims.nbf * 1000).toISOString()}`,
      );
    }
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(rules.audience)) {
    throw new TokenError(
      `audience mismatch: the token is for ${JSON.stringify(claims.aud ?? null)}, expected ${JSON.stringify(rules.audience)}`,
    );
  }
}

/** Finds a key that verifies the signature; throws TokenError if none does. */
export function checkSignature(token: ParsedToken, keys: readonly VerificationKey[]): void {
  const candidates = candidateKeys(token, keys);
  if (candidates.length === 0) {
    throw new TokenError(
      `token signed by an unknown key (kid ${JSON.stringify(token.header.kid ?? null)}, ${token.header.alg}): not among the issuer's keys`,
    );
  }
  if (!candidates.some((key) => signatureValid(token, key))) {
    throw new TokenError('invalid token signature');
  }
}
