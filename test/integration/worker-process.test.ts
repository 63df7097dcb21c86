// The worker as operators run it (`npm run worker`): a separate process that serves Prometheus
// metrics when asked to, and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { eventually, uniqueName } from '../support/services';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

test('the worker process serves metrics and stops cleanly on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
    env: {
      ...process.env,
      KAIZEN_SETTINGS: 'example_settings.ini',
      KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('process'),
      KAIZEN_TEMPORAL__METRICS_ADDRESS: `127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually('the worker to poll', async () =>
      output.includes('worker polling task queue') ? true : undefined,
    );
    assert.match(output, new RegExp(`metrics on http://127\\.0\\.0\\.1:${port}/metrics`));
    const metrics = await eventually('worker metrics', async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      return /temporal_/.test(text) ? text : undefined;
    });
    assert.match(metrics, /^# (HELP|TYPE) temporal_/m);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output.slice(-2000));
  assert.match(output, /worker stopped/);
});
