import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor } from '../codec/encryption-codec';
import type { Config } from '../config/schema';

function unreachable(config: Config, err: unknown): Error {
  return new Error(
    `cannot reach Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}): ` +
      `${(err as Error).message}. Check [temporal] address, or start the local services with scripts/services.sh start`,
  );
}

export async function connectClient(config: Config): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      connectTimeout: '10s',
    });
  } catch (err) {
    throw unreachable(config, err);
  }
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config.secrets.codec_key),
  });
}

export async function connectWorkerConnection(config: Config): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: config.temporal.address });
  } catch (err) {
    throw unreachable(config, err);
  }
}
