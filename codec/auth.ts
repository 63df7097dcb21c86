// [codec] auth = bearer: an OIDC access token in Authorization, answered per RFC 6750 so that
// clients learn from WWW-Authenticate what was wrong.
import type { Context } from 'koa';
import { TokenError } from './jwt';
import type { TokenVerifier } from './oidc';
import { Refusal } from './refusal';

const REALM = 'kaizen-codec';

/** `error_description` of WWW-Authenticate is a quoted string: no quotes or backslashes inside. */
const quoted = (text: string) => `"${text.replace(/["\\]/g, "'")}"`;

/** The token's subject (for the log), or a 401 Refusal. */
export async function authenticate(
  ctx: Context,
  verifier: TokenVerifier,
): Promise<string | undefined> {
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
  try {
    const claims = await verifier.verify(token);
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch (err) {
    if (err instanceof TokenError) {
      throw new Refusal(401, err.message, {
        'WWW-Authenticate': `Bearer realm=${quoted(REALM)}, error="invalid_token", error_description=${quoted(err.message)}`,
      });
    }
    throw err;
  }
}
