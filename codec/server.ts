// The codec endpoint of the Temporal Web UI and CLI ("codec server"): POST /decode shows an
// admin the workflow payloads with every secret field «redacted»; POST /encode encrypts what they
// type in. Run: npm run codec ([codec] listen, default 127.0.0.1:8089).
// This file is the process entry; the app is app.ts, its parts beside it.
import type { Server } from 'node:http';
import { loadConfig, parseHostPort } from '../config/load';
import { parseRequiredClaim, type RequiredClaim } from '../config/required-claim';
import type { Config } from '../config/schema';
import { closeHttpServer, runEntry, stopOnSignals } from '../lib/process-entry';
import { createCodecServer } from './app';
import type { CodecServerDeps, Log } from './deps';
import { createOidcVerifier } from './oidc';
import { createRedactingCodec } from './redacting-codec';

export { createCodecServer, MAX_BODY_BYTES } from './app';
export type { CodecServerDeps } from './deps';
export { readLimited } from './handlers';

/** [codec] required_claim, which start-up has checked; null for none. */
function requiredClaim(text: string): RequiredClaim | null {
  const parsed = parseRequiredClaim(text);
  if ('error' in parsed) throw new Error(`[codec] required_claim is not valid: ${parsed.error}`);
  return parsed.rule;
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
            audience: codec.oidc_audience,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
          requiredClaim: requiredClaim(codec.required_claim),
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
    ...(config.codec.auth === 'bearer'
      ? { audience: config.codec.oidc_audience, requiredClaim: config.codec.required_claim }
      : {}),
    allowedOrigins: config.codec.allowed_origins,
  });
  stopOnSignals(() => running.close(), jsonLog);
}

if (require.main === module) runEntry('codec endpoint', run, 'codec');
