// The worker's composition root: every client built from config once per process — Keystone,
// the SMTP pool, the payload codec, and a Temporal client (made on first use) for the poller's
// starts — and closed together.
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { KeystoneClient } from '../clients/keystone';
import { mailTransport } from '../clients/smtp-transport';
import type { Config } from '../config/schema';
import { dataConverterFor } from '../lib/payload-encryption';
import { connectClient } from '../lib/temporal';
import { keystoneFromConfig } from '../wiring/keystone-from-config';

export interface WorkerClients {
  keystone: KeystoneClient;
  transport: Transporter;
  dataConverter: ReturnType<typeof dataConverterFor>;
  /** The Temporal client, connected on first use (only the poller starts workflows). */
  temporal(): Promise<Client>;
  /** Closes the SMTP pool and the Temporal client: they would keep the process alive. */
  close(): Promise<void>;
}

export function workerClients(config: Config): WorkerClients {
  const dataConverter = dataConverterFor(
    config.secrets.codec_key,
    config.secrets.previous_codec_keys,
  );
  const transport = mailTransport(config);
  let client: Promise<Client> | undefined;
  return {
    keystone: keystoneFromConfig(config),
    transport,
    dataConverter,
    temporal: () => (client ??= connectClient(config, dataConverter)),
    async close() {
      transport.close();
      await (await client?.catch(() => undefined))?.connection.close();
    },
  };
}
