// The whole system for one test file: the setpass API, a worker on a private task queue, and a
// Temporal client, all with the same settings (plus `env`), on the real local services.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import type { Config } from '../../config/schema';
import { connectClient } from '../../lib/temporal';
import { createWorker } from '../../worker/create-worker';
import { testConfig } from './services';

export interface TestSystem {
  taskQueue: string;
  config: Config;
  api: RunningSetpass;
  client: Client;
  close(): Promise<void>;
}

/** `options.taskQueue`: a later system takes over the workflows of an earlier one (a restart). */
export async function startSystem(
  env: Record<string, string> = {},
  options: { taskQueue?: string } = {},
): Promise<TestSystem> {
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const base = testConfig({ KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue, ...env });
  const api = await startSetpassServer(base, { port: 0, log: () => undefined });
  // The worker mails links to the API's real address and shares its token store.
  const config = testConfig({
    KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
    ...env,
    KAIZEN_SETPASS__SETPASS_URL: api.url,
    KAIZEN_SETPASS__DATABASE: base.setpass.database,
  });
  const worker = await createWorker(config, taskQueue);
  const running = worker.run();
  const client = await connectClient(config);
  return {
    taskQueue,
    config,
    api,
    client,
    async close() {
      worker.worker.shutdown();
      await running;
      await api.close();
      await client.connection.close();
    },
  };
}
