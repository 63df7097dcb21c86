// The system of the onboarding benchmark as operators run it: the setpass API and the worker each
// in their own process, so the CPU each uses can be read from /proc beside the services'.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { connectClient } from '../lib/temporal';
import { testConfig } from '../test/support/services';
import { freePort, startProcess, type RunningProcess } from '../test/support/processes';
import { stop } from './load';

export interface ApiProcess {
  process: RunningProcess;
  /** Settings every worker and client of the run shares with the API. */
  env: Record<string, string>;
  url: string;
}

export async function startApiProcess(): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env = {
    KAIZEN_SETPASS__PORT: String(port),
    KAIZEN_SETPASS__SETPASS_URL: url,
    KAIZEN_SETPASS__DATABASE: join(mkdtempSync(join(tmpdir(), 'kaizen-bench-')), 'setpass.sqlite'),
  };
  return { process: await startProcess('api/server.ts', env, /setpass API listening/), env, url };
}

export interface WorkerProcess {
  process: RunningProcess;
  taskQueue: string;
  config: Config;
  client: Client;
  close(): Promise<void>;
}

/** A worker on a task queue of its own, running at most `concurrency` activities at a time. */
export async function startWorkerProcess(
  api: ApiProcess,
  concurrency: number,
): Promise<WorkerProcess> {
  const taskQueue = `bench-${randomUUID()}`;
  const env = {
    ...api.env,
    KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
    KAIZEN_TEMPORAL__MAX_CONCURRENT_ACTIVITIES: String(concurrency),
  };
  const process = await startProcess('worker.ts', env, /worker polling task queue/);
  const config = testConfig(env);
  const client = await connectClient(config);
  return {
    process,
    taskQueue,
    config,
    client,
    async close() {
      await client.connection.close();
      await stop(process);
    },
  };
}
