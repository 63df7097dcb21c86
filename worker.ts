// The onboarding worker's entry: loads config, serves metrics if asked, runs the worker until
// SIGINT/SIGTERM (running activities finish first). Run: npm run worker. The composition root
// and the lifecycle are in worker/.
import { rmSync, writeFileSync } from 'node:fs';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from './config/load';
import { runEntry } from './lib/process-entry';
import { createWorker } from './worker/create-worker';

/**
 * KAIZEN_READY_FILE (the image sets it): written once the worker polls, for the container's
 * health check. Removed first: a restarted container keeps its /tmp.
 */
const readyFile = process.env.KAIZEN_READY_FILE;

async function run(): Promise<void> {
  if (readyFile) rmSync(readyFile, { force: true });
  const config = loadConfig();
  const metrics = config.temporal.metrics_address;
  // Before any connection exists: the runtime is made once per process. SIGINT/SIGTERM let the
  // running activities finish, then the worker stops.
  if (metrics)
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } });
  const { run: runWorker } = await createWorker(config);
  console.log(
    `worker polling task queue ${config.temporal.task_queue} on ${config.temporal.address} (namespace ${config.temporal.namespace})` +
      (metrics ? `; metrics on http://${metrics}/metrics` : ''),
  );
  if (readyFile) writeFileSync(readyFile, `${new Date().toISOString()}\n`);
  try {
    await runWorker();
  } finally {
    if (readyFile) rmSync(readyFile, { force: true });
  }
  console.log('worker stopped');
}

if (require.main === module) runEntry('worker', run, 'worker');
