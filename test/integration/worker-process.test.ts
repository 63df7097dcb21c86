// The worker as operators run it (`npm run worker`): a separate process that serves Prometheus
// metrics when asked to, and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, startProcess } from '../support/processes';
import { eventually, uniqueName } from '../support/services';

test('the worker process serves metrics and stops cleanly on SIGTERM', async () => {
  const port = await freePort();
  const worker = await startProcess(
    'worker.ts',
    {
      KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('process'),
      KAIZEN_TEMPORAL__METRICS_ADDRESS: `127.0.0.1:${port}`,
    },
    /worker polling task queue/,
  );
  try {
    assert.match(worker.output(), new RegExp(`metrics on http://127\\.0\\.0\\.1:${port}/metrics`));
    const metrics = await eventually('worker metrics', async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      return /temporal_/.test(text) ? text : undefined;
    });
    assert.match(metrics, /^# (HELP|TYPE) temporal_/m);
  } finally {
    assert.equal(await worker.stop('SIGTERM'), 0, worker.output().slice(-2000));
  }
  assert.match(worker.output(), /worker stopped/);
});
