// Rules between settings, checked once every value is valid on its own.
import { isIP } from 'node:net';
import { parseRequiredClaim } from './required-claim';

/** Adds a problem for each rule `result` (the valid values) breaks; may normalise [codec]. */
export function checkCrossKeys(
  result: Record<string, Record<string, unknown>>,
  problems: string[],
): void {
  const reminder = result.reminder as { schedule?: number[]; abandon_after?: number } | undefined;
  const lastReminder = reminder?.schedule?.at(-1);
  if (lastReminder !== undefined && (reminder?.abandon_after ?? Infinity) <= lastReminder) {
    problems.push(
      '[reminder] abandon_after must be later than the last time in [reminder] schedule, or that reminder is never sent',
    );
  }
  const secrets = result.secrets as Record<string, string[] | undefined> | undefined;
  for (const [list, current] of [
    ['previous_codec_keys', 'codec_key'],
    ['previous_setpass_keys', 'setpass_key'],
  ] as const) {
    secrets?.[list]?.forEach((key, i) => {
      if (Buffer.from(key, 'base64').length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
        problems.push(
          `[secrets] ${list}: key ${i + 1} is not base64 of 32 bytes (the former ${current}, as it was)`,
        );
      }
    });
  }
  const tls = result.temporal as Record<string, unknown> | undefined;
  if (tls && Boolean(tls.client_cert_file) !== Boolean(tls.client_key_file)) {
    problems.push(
      '[temporal] client_cert_file and client_key_file go together: set both or neither',
    );
  }
  const codec = result.codec as CodecSettings | undefined;
  if (codec) problems.push(...codecProblems(codec));
}

/** `127.0.0.1:8089`, `localhost:8089`, `[::1]:8089`: a host and a port, or undefined. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535 || (match[1] !== undefined && isIP(host) !== 6)) return undefined;
  return { host, port };
}

/** Only this machine can connect: localhost, 127.0.0.0/8 or ::1 (a name that resolves is not). */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost') return true;
  const v4 = isIP(lower) === 4 ? lower : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (v4 !== undefined && isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(lower) === 6 && /^(0{0,4}:){2,7}0{0,3}1$/.test(lower);
}

interface CodecSettings {
  listen?: string;
  allowed_origins?: string[];
  auth?: string;
  oidc_issuer?: string;
  oidc_audience?: string;
  required_claim?: string;
}

/** [codec] rules between keys; turns `allowed_origins = none` into no origin. */
function codecProblems(codec: CodecSettings): string[] {
  const problems: string[] = [];
  if (codec.allowed_origins?.length === 1 && codec.allowed_origins[0]?.toLowerCase() === 'none') {
    codec.allowed_origins = [];
  }
  for (const origin of codec.allowed_origins ?? []) {
    let canonical: string | undefined;
    try {
      canonical = new URL(origin).origin;
    } catch {
      canonical = undefined;
    }
    if (canonical !== origin) {
      problems.push(
        `[codec] allowed_origins: ${JSON.stringify(origin)} is not an origin as browsers send it: write scheme://host[:port], no path or trailing slash${canonical && canonical !== 'null' ? `, here ${canonical}` : ''}`,
      );
    }
  }
  const listen = codec.listen === undefined ? undefined : parseHostPort(codec.listen);
  if (codec.listen !== undefined && !listen) {
    problems.push(
      `[codec] listen = ${JSON.stringify(codec.listen)} is not valid: expected host:port, e.g. 127.0.0.1:8089 or [::1]:8089`,
    );
  }
  if (codec.auth === 'none' && listen && !isLoopbackHost(listen.host)) {
    problems.push(
      `[codec] auth = none with listen = ${codec.listen}: anyone who can reach that address could read decrypted payloads. ` +
        'Set [codec] listen to a loopback address such as 127.0.0.1:8089 (KAIZEN_CODEC__LISTEN), ' +
        'or set [codec] auth = bearer with oidc_issuer, oidc_audience and required_claim so that only admins with an access token can decode',
    );
  }
  if (codec.auth === 'bearer' && !codec.oidc_issuer) {
    problems.push(
      '[codec] auth = bearer needs [codec] oidc_issuer (or KAIZEN_CODEC__OIDC_ISSUER): the OIDC issuer URL whose access tokens the Web UI passes, e.g. https://login.example.org/realms/kaizen',
    );
  }
  // Without an audience, a token the issuer made for any of its clients would do.
  if (codec.auth === 'bearer' && !codec.oidc_audience) {
    problems.push(
      "[codec] auth = bearer needs [codec] oidc_audience (or KAIZEN_CODEC__OIDC_AUDIENCE): the audience in the aud claim of the Web UI's access tokens, e.g. temporal-ui (the UI's client id; Keycloak puts it there with an Audience mapper), " +
        'or a token the issuer made for any client of the issuer would be accepted',
    );
  }
  const claim = codec.required_claim ?? '';
  // Empty is refused with bearer: an issuer serving a whole organisation gives its tokens to
  // everyone who may log in to the UI, admins or not.
  if (codec.auth === 'bearer' && !claim) {
    problems.push(
      "[codec] auth = bearer needs [codec] required_claim (or KAIZEN_CODEC__REQUIRED_CLAIM): claim=value that only the admins' access tokens carry, " +
        'e.g. groups=kaizen-admins, or realm_access.roles=kaizen-admins for Keycloak; ' +
        'or none to accept every token of oidc_issuer for oidc_audience (when the issuer gives that audience to admins only)',
    );
  } else if (claim) {
    const parsed = parseRequiredClaim(claim);
    if ('error' in parsed) {
      problems.push(
        `[codec] required_claim = ${JSON.stringify(claim)} is not valid: ${parsed.error}`,
      );
    }
  }
  return problems;
}
