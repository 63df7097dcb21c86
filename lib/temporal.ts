import { readFileSync } from 'node:fs';
import { Client, Connection, ServiceError, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor } from './payload-encryption';
import type { Config } from '../config/schema';

/** Address, TLS and API key of the cluster: the same for the client and the worker. */
export function connectionOptions({ temporal }: Config): {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
} {
  const useTls =
    temporal.tls ||
    Boolean(temporal.server_ca_file || temporal.client_cert_file || temporal.api_key);
  if (!useTls) return { address: temporal.address };
  const tls: TLSConfig = {};
  if (temporal.server_name) tls.serverNameOverride = temporal.server_name;
  if (temporal.server_ca_file) tls.serverRootCACertificate = readFileSync(temporal.server_ca_file);
  if (temporal.client_cert_file) {
    tls.clientCertPair = {
      crt: readFileSync(temporal.client_cert_file),
      key: readFileSync(temporal.client_key_file),
    };
  }
  return {
    address: temporal.address,
    tls,
    ...(temporal.api_key ? { apiKey: temporal.api_key } : {}),
  };
}

function unreachable(config: Config, err: unknown): Error {
  const { temporal } = config;
  const security = connectionOptions(config).tls
    ? `with TLS${temporal.client_cert_file ? ' (mTLS)' : ''}${temporal.api_key ? ' and an API key' : ''}`
    : 'without TLS';
  return new Error(
    `cannot reach Temporal at ${temporal.address} ${security} (namespace ${temporal.namespace}): ` +
      `${(err as Error).message}. Check [temporal] address, tls, server_ca_file, client_cert_file, ` +
      'api_key; locally, start the services with scripts/services.sh start',
  );
}

/** A client with the payload codec of `config`, or `dataConverter` when the caller built one. */
export async function connectClient(
  config: Config,
  dataConverter: DataConverter = dataConverterFor(
    config.secrets.codec_key,
    config.secrets.previous_codec_keys,
  ),
): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '10s' });
  } catch (err) {
    throw unreachable(config, err);
  }
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter,
  });
}

export async function connectWorkerConnection(config: Config): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectionOptions(config));
  } catch (err) {
    throw unreachable(config, err);
  }
}

/** gRPC's INVALID_ARGUMENT: the request itself is wrong (an id too long); retrying cannot help. */
const INVALID_ARGUMENT = 3;

/** Why Temporal refused a start request for what it asked, or undefined for any other error. */
export function startRefusal(err: unknown): string | undefined {
  if (!(err instanceof ServiceError)) return undefined;
  const cause = err.cause as { code?: unknown; details?: unknown } | undefined;
  if (cause?.code !== INVALID_ARGUMENT) return undefined;
  return typeof cause.details === 'string' && cause.details ? cause.details : err.message;
}
