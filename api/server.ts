// The setpass API process. Run: npm run api
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { keystoneFromConfig } from '../lib/keystone-from-config';
import { connectClient } from '../lib/temporal';
import { passwordSetSignal } from '../shared/onboarding';
import { createApp, type PasswordSetNotifier } from './app';
import { SecretBox } from './secrets';
import { TokenStore } from './token-store';

type Log = (message: string, fields?: Record<string, unknown>) => void;

const jsonLog: Log = (message, fields) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), message, ...fields }));

/** Signals the workflow, retrying briefly; the password is already set, so failure is only logged. */
export function temporalNotifier(client: Client, log: Log): PasswordSetNotifier {
  return async (workflowId, userId) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await client.workflow
          .getHandle(workflowId)
          .signal(passwordSetSignal, { userId, at: new Date().toISOString() });
        return;
      } catch (err) {
        log('signalling the onboarding failed', {
          workflowId,
          attempt,
          error: (err as Error).message,
        });
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  };
}

export async function startSetpassServer(
  config: Config,
  options: { port?: number; log?: Log } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const log = options.log ?? jsonLog;
  const client = await connectClient(config);
  const store = new TokenStore(config.setpass.database);
  const app = createApp({
    store,
    secrets: new SecretBox(config.secrets.setpass_key),
    keystone: keystoneFromConfig(config),
    notifyPasswordSet: temporalNotifier(client, log),
    branding: {
      operatorName: config.email_defaults.operator_name,
      supportEmail: config.email_defaults.support_email,
      passwordResetFormUrl: config.email_defaults.password_reset_form_url,
    },
    tokenExpirationMs: config.setpass.token_expiration,
    maxAttempts: config.setpass.max_attempts,
    log,
  });
  const port = options.port ?? config.setpass.port;
  const server = app.listen(port, config.setpass.listen_host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${config.setpass.listen_host}:${bound}/`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      await client.connection.close();
    },
  };
}

async function run(): Promise<void> {
  const config = loadConfig();
  const { url } = await startSetpassServer(config);
  jsonLog('setpass API listening', { url });
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(`setpass API stopped: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
