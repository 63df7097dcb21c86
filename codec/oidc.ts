// Bearer tokens from the Temporal Web UI, checked against the OIDC issuer's published keys:
// <issuer>/.well-known/openid-configuration names jwks_uri, which holds the keys. The keys are
// cached; a token with a kid not among them fetches them again (a key rotation), at most every 30 s.
import {
  candidateKeys,
  checkClaims,
  checkSignature,
  parseToken,
  verificationKeys,
  type TokenClaims,
  type VerificationKey,
} from './jwt';

/** The issuer's keys cannot be had: a 503, since the token may well be good. */
export class IssuerUnavailableError extends Error {
  override name = 'IssuerUnavailableError';
}

export interface OidcVerifierOptions {
  /** Exactly as tokens carry it in `iss`. */
  issuer: string;
  /** A token's `aud` must contain it ([codec] oidc_audience); without, any client's token would do. */
  audience: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Least time between two fetches of the keys. */
  refetchIntervalMs?: number;
  timeoutMs?: number;
}

export interface TokenVerifier {
  /** The token's claims; throws TokenError (refused) or IssuerUnavailableError. */
  verify(token: string): Promise<TokenClaims>;
}

export const REFETCH_INTERVAL_MS = 30_000;

export function createOidcVerifier(options: OidcVerifierOptions): TokenVerifier {
  const { issuer, audience } = options;
  if (!audience) {
    throw new Error('no audience: [codec] oidc_audience is required with [codec] auth = bearer');
  }
  const fetchFn = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const interval = options.refetchIntervalMs ?? REFETCH_INTERVAL_MS;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let keys: VerificationKey[] | undefined;
  let lastFetch = -Infinity;
  let inFlight: Promise<VerificationKey[]> | undefined;

  async function getJson(url: string, what: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetchFn(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new IssuerUnavailableError(`${what} ${url} unreachable: ${(err as Error).message}`);
    }
    if (!response.ok) {
      throw new IssuerUnavailableError(`${what} ${url} answered ${response.status}`);
    }
    try {
      return (await response.json()) as Record<string, unknown>;
    } catch {
      throw new IssuerUnavailableError(`${what} ${url} is not JSON`);
    }
  }

  async function fetchKeys(): Promise<VerificationKey[]> {
    // OIDC Discovery: drop a trailing slash from the issuer before appending the well-known path.
    const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const discovery = await getJson(discoveryUrl, 'OIDC discovery');
    if (discovery.issuer !== issuer) {
      throw new IssuerUnavailableError(
        `OIDC discovery ${discoveryUrl} names issuer ${JSON.stringify(discovery.issuer)}, not ${JSON.stringify(issuer)}: set [codec] oidc_issuer to the issuer's exact value`,
      );
    }
    if (typeof discovery.jwks_uri !== 'string') {
      throw new IssuerUnavailableError(`OIDC discovery ${discoveryUrl} has no jwks_uri`);
    }
    const jwks = await getJson(discovery.jwks_uri, 'JWKS');
    try {
      return verificationKeys(jwks);
    } catch (err) {
      throw new IssuerUnavailableError(`JWKS ${discovery.jwks_uri}: ${(err as Error).message}`);
    }
  }

  function refresh(): Promise<VerificationKey[]> {
    inFlight ??= (async () => {
      lastFetch = now();
      try {
        keys = await fetchKeys();
        return keys;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    async verify(token) {
      const parsed = parseToken(token);
      let current = keys;
      if (current === undefined || candidateKeys(parsed, current).length === 0) {
        if (inFlight || now() - lastFetch >= interval) {
          current = await refresh();
        } else if (current === undefined) {
          throw new IssuerUnavailableError(
            `the issuer's keys could not be fetched; next try in ${Math.ceil((lastFetch + interval - now()) / 1000)} s`,
          );
        }
      }
      checkSignature(parsed, current);
      checkClaims(parsed.claims, { issuer, audience, now: now() });
      return parsed.claims;
    },
  };
}
