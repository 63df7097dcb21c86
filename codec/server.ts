// The codec endpoint of the Temporal Web UI and CLI ("codec server"): POST /decode shows an
// admin the workflow payloads with every secret field «redacted»; POST /encode encrypts what they
// type in. Run: npm run codec ([codec] listen, default 127.0.0.1:8089).
import type { IncomingMessage, Server } from 'node:http';
import Koa, { type Context } from 'koa';
import { loadConfig, parseHostPort } from '../config/load';
import type { Config } from '../config/schema';
import { closeHttpServer, runEntry, stopOnSignals } from '../lib/process-entry';
import { TokenError } from './jwt';
import { createOidcVerifier, IssuerUnavailableError, type TokenVerifier } from './oidc';
import { PayloadBodyError, payloadsFromBody, payloadToJson } from './payload-json';
import {
  createRedactingCodec,
  PayloadDecodeError,
  type PayloadTransformer,
} from './redacting-codec';

type Log = (message: string, fields?: Record<string, unknown>) => void;

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const ROUTES = ['/decode', '/encode'] as const;
const ALLOW_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';
const ALLOW_METHODS = 'POST, OPTIONS';
const REALM = 'kaizen-codec';

/** A refusal meant for the caller: its status, its reason (the body) and any extra headers. */
class Refusal extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface CodecServerDeps {
  codec: PayloadTransformer;
  /** The namespace whose payloads the keys encrypt ([temporal] namespace). */
  namespace: string;
  /** Origins whose browsers may call; a request without Origin (CLI, curl) is always allowed. */
  allowedOrigins: readonly string[];
  /** Checks bearer tokens; absent: no authentication ([codec] auth = none). */
  verifier?: TokenVerifier;
  log?: Log;
  maxBodyBytes?: number;
}

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

/** `error_description` of WWW-Authenticate is a quoted string: no quotes or backslashes inside. */
const quoted = (text: string) => `"${text.replace(/["\\]/g, "'")}"`;

async function authenticate(ctx: Context, verifier: TokenVerifier): Promise<string | undefined> {
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

export function createCodecServer(deps: CodecServerDeps): Koa {
  const log = deps.log ?? (() => undefined);
  const limit = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const allowed = new Set(deps.allowedOrigins);
  const app = new Koa();

  async function transform(ctx: Context, route: (typeof ROUTES)[number]): Promise<void> {
    if (deps.verifier) ctx.state.subject = await authenticate(ctx, deps.verifier);
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

  app.use(async (ctx) => {
    const started = performance.now();
    const origin = ctx.get('origin') || undefined;
    let detail: Record<string, unknown> = {};
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.vary('Origin');
    try {
      if (origin !== undefined) {
        if (!allowed.has(origin)) {
          throw new Refusal(
            403,
            `origin ${origin} may not call this codec endpoint: add it to [codec] allowed_origins`,
          );
        }
        ctx.set('Access-Control-Allow-Origin', origin);
        ctx.set('Access-Control-Allow-Credentials', 'true');
      }
      const route = ROUTES.find((r) => r === ctx.path);
      if (route && ctx.method === 'POST') {
        await transform(ctx, route);
      } else if (route && ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS);
        ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
        ctx.set('Access-Control-Max-Age', '600');
        // Chrome's Private Network Access: a UI on a public address calling a loopback endpoint.
        if (origin && ctx.get('access-control-request-private-network') === 'true') {
          ctx.set('Access-Control-Allow-Private-Network', 'true');
        }
        ctx.set('Allow', ALLOW_METHODS);
        ctx.status = 204;
      } else if (route) {
        ctx.set('Allow', ALLOW_METHODS);
        throw new Refusal(405, `${ctx.method} ${ctx.path}: use POST`);
      } else if (ctx.path === '/healthz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
        ctx.type = 'text/plain';
        ctx.body = 'ok';
      } else {
        throw new Refusal(
          404,
          `no such endpoint: ${ctx.method} ${ctx.path} (POST /decode, POST /encode)`,
        );
      }
    } catch (err) {
      if (err instanceof Refusal) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.message };
        detail = { reason: err.message };
      } else if (err instanceof IssuerUnavailableError) {
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        ctx.body = { error: 'cannot check the token now: the OIDC issuer is unavailable' };
        detail = { error: err.message };
      } else {
        // Details go to the log only; they could hold anything.
        ctx.status = 500;
        ctx.body = { error: 'the codec endpoint failed; its log says why' };
        detail = { error: (err as Error).message };
      }
    } finally {
      // Never the payloads, decoded or not.
      log('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
        origin: origin ?? null,
        ...(typeof ctx.state.subject === 'string' ? { subject: ctx.state.subject } : {}),
        ...detail,
      });
    }
  });
  return app;
}

/** The endpoint's dependencies as the settings describe them. */
export function codecDepsFromConfig(
  config: Config,
  options: { log?: Log; fetch?: typeof fetch } = {},
): CodecServerDeps {
  const { codec } = config;
  return {
    codec: createRedactingCodec(config.secrets.codec_key, config.secrets.previous_codec_keys),
    namespace: config.temporal.namespace,
    allowedOrigins: codec.allowed_origins,
    ...(codec.auth === 'bearer'
      ? {
          verifier: createOidcVerifier({
            issuer: codec.oidc_issuer,
            ...(codec.oidc_audience ? { audience: codec.oidc_audience } : {}),
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
        }
      : {}),
    ...(options.log ? { log: options.log } : {}),
  };
}

const jsonLog: Log = (message, fields) => {
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), message, ...fields }) + '\n',
  );
};

export interface RunningCodec {
  server: Server;
  /** Where it listens, e.g. http://127.0.0.1:8089 (no trailing slash: append /decode). */
  url: string;
  close(): Promise<void>;
}

/** Listens on [codec] listen; `port` overrides its port (0: any free one, for tests). */
export async function startCodecServer(
  config: Config,
  options: { port?: number; log?: Log; fetch?: typeof fetch } = {},
): Promise<RunningCodec> {
  const listen = parseHostPort(config.codec.listen);
  if (!listen) throw new Error(`[codec] listen = ${config.codec.listen} is not host:port`);
  const log = options.log ?? jsonLog;
  const app = createCodecServer(codecDepsFromConfig(config, { ...options, log }));
  const server = app.listen(options.port ?? listen.port, listen.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    server,
    url: `http://${host}:${port}`,
    async close() {
      await closeHttpServer(server);
    },
  };
}

async function run(): Promise<void> {
  const config = loadConfig();
  const running = await startCodecServer(config);
  jsonLog('codec endpoint listening', {
    url: running.url,
    namespace: config.temporal.namespace,
    auth: config.codec.auth,
    allowedOrigins: config.codec.allowed_origins,
  });
  stopOnSignals(() => running.close(), jsonLog);
}

if (require.main === module) runEntry('codec endpoint', run);
