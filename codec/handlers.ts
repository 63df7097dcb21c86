// POST /decode and POST /encode, the codec protocol: checks in the order a caller would fix
// them (token, namespace, content type, size), then the payloads themselves.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { authenticate } from './auth';
import type { CodecServerDeps } from './deps';
import { PayloadBodyError, payloadsFromBody, payloadToJson } from './payload-json';
import { PayloadDecodeError } from './redacting-codec';
import { Refusal } from './refusal';

export const ROUTES = ['/decode', '/encode'] as const;
export type Route = (typeof ROUTES)[number];

/**
 * Reads at most `limit` bytes. Past the limit it answers 413 at once and lets the rest of the body
 * drain unread, so the client still gets the answer instead of a reset connection.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      done();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settle(() => reject(new Refusal(413, `request body too large: at most ${limit} bytes`)));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      settle(() => resolve(body));
    });
    req.on('close', () =>
      settle(() => reject(new Refusal(400, 'request body incomplete: the client hung up'))),
    );
  });
}

/** Answers one POST; any refusal is thrown for the app to answer and log. */
export async function transform(
  ctx: Context,
  route: Route,
  deps: CodecServerDeps,
  limit: number,
): Promise<void> {
  if (deps.verifier) await authenticate(ctx, deps.verifier, deps.requiredClaim ?? null);
  const namespace = ctx.get('x-namespace');
  if (namespace && namespace !== deps.namespace) {
    throw new Refusal(
      400,
      `X-Namespace is "${namespace}", but this codec endpoint holds the keys of namespace "${deps.namespace}" ([temporal] namespace)`,
    );
  }
  if (ctx.request.type !== 'application/json') {
    throw new Refusal(415, 'Content-Type must be application/json');
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) {
    throw new Refusal(413, `request body too large: ${declared} bytes, at most ${limit}`);
  }
  const text = (await readLimited(ctx.req, limit)).toString('utf8');
  let payloads;
  try {
    payloads = payloadsFromBody(text);
  } catch (err) {
    if (err instanceof PayloadBodyError) throw new Refusal(400, err.message);
    throw err;
  }
  try {
    const result =
      route === '/decode' ? await deps.codec.decode(payloads) : await deps.codec.encode(payloads);
    ctx.body = { payloads: result.map(payloadToJson) };
  } catch (err) {
    // The protocol answers a payload the codec cannot read with 400, like a malformed body.
    if (err instanceof PayloadDecodeError) throw new Refusal(400, err.message);
    throw err;
  }
}
