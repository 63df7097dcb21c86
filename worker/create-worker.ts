// The worker's lifecycle: checks that must pass before it polls, the Temporal worker over the
// process's clients, and a stop that releases them all.
import { existsSync } from 'node:fs';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';
import type { KeystoneClient } from '../clients/keystone';
import { heartbeatWhileRunning } from '../lib/activity-heartbeat';
import { connectWorkerConnection } from '../lib/temporal';
import { verifyQuotaKeys } from '../wiring/verify-quota-keys';
import { createActivities } from './activities-over-clients';
import { workerClients } from './clients';

/** A refused key stops start-up; a service that cannot be asked now only earns a warning. */
async function checkQuotaKeys(config: Config, keystone: KeystoneClient): Promise<void> {
  try {
    await verifyQuotaKeys(config, keystone);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    console.warn(
      `could not check [quotas] against Nova, Cinder and Neutron (${err instanceof Error ? err.message : String(err)}); a refused key will fail the first new project instead`,
    );
  }
}

export interface OnboardingWorker {
  worker: Worker;
  /** Runs until worker.shutdown(), then closes the Temporal connection and the mail pool. */
  run(): Promise<void>;
  /** Runs until `work` settles, then shuts down and closes the same (tests). */
  runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export async function createWorker(
  config: Config,
  taskQueue = config.temporal.task_queue,
  /** A connection owned by the caller (e.g. a test server's); else one from config. */
  sharedConnection?: NativeConnection,
): Promise<OnboardingWorker> {
  const clients = workerClients(config);
  let connection: NativeConnection | undefined;
  // A refused start releases what it built: the SMTP pool alone would keep the process alive.
  const release = async () => {
    await clients.close();
    if (!sharedConnection) await connection?.close();
  };
  const create = async () => {
    await checkQuotaKeys(config, clients.keystone);
    const bundle = config.temporal.workflow_bundle;
    if (bundle && !existsSync(bundle)) {
      throw new ConfigError([
        `[temporal] workflow_bundle: ${bundle} does not exist: run npm run bundle -- ${bundle}, or leave it empty`,
      ]);
    }
    connection = sharedConnection ?? (await connectWorkerConnection(config));
    return await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      ...(bundle
        ? { workflowBundle: { codePath: bundle } }
        : { workflowsPath: require.resolve('../workflows') }),
      activities: createActivities(config, clients),
      dataConverter: clients.dataConverter,
      maxConcurrentActivityTaskExecutions: config.temporal.max_concurrent_activities,
      // onboardUser's Keystone steps are local activities: the same bound keeps them from
      // flooding Keystone when a poll starts many onboardings at once.
      maxConcurrentLocalActivityExecutions: config.temporal.max_concurrent_activities,
      interceptors: { activity: [heartbeatWhileRunning] },
      ...(config.temporal.max_cached_workflows > 0
        ? { maxCachedWorkflows: config.temporal.max_cached_workflows }
        : {}),
    });
  };
  let worker: Worker;
  try {
    worker = await create();
  } catch (err) {
    await release();
    throw err;
  }
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await release();
      }
    },
    async runUntil(work) {
      try {
        return await worker.runUntil(work);
      } finally {
        await release();
      }
    },
  };
}
