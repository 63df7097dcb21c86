// The time-skipping test server works here: a 48-hour timer fires in seconds of wall time.
// Needs scripts/install-test-server.sh to have run (or KAIZEN_TEST_SERVER set).
//   node --import tsx --test test/time-skipping/smoke.test.ts
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { timeSkippingEnv } from '../support/time-skipping';
import { sleepy } from './sleepy-workflow';

const HOURS_48_MS = 48 * 60 * 60 * 1000;

let env: TestWorkflowEnvironment | undefined;
let envStartMs = 0;

before(async () => {
  const start = Date.now();
  env = await timeSkippingEnv();
  envStartMs = Date.now() - start;
});

after(async () => {
  await env?.teardown();
});

test('a 48-hour workflow sleep completes in seconds of wall time', async (t) => {
  assert.ok(env, 'test environment not started');
  const testEnv = env;
  const taskQueue = `time-skipping-smoke-${process.pid}`;
  const worker = await Worker.create({
    connection: testEnv.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./sleepy-workflow'),
  });

  const serverTimeBefore = await testEnv.currentTimeMs();
  const wallStart = Date.now();
  const result = await worker.runUntil(
    testEnv.client.workflow.execute(sleepy, {
      taskQueue,
      workflowId: `sleepy-${process.pid}-${wallStart}`,
    }),
  );
  const wallMs = Date.now() - wallStart;
  const serverTimeAfter = await testEnv.currentTimeMs();
  t.diagnostic(
    `test server up in ${envStartMs} ms; workflow ran ${wallMs} ms of wall time, ` +
      `${((result.wokeAtMs - result.startedAtMs) / 3_600_000).toFixed(1)} h of workflow time`,
  );

  assert.ok(wallMs < 30_000, `took ${wallMs} ms of wall time`);
  assert.ok(
    result.wokeAtMs - result.startedAtMs >= HOURS_48_MS,
    `workflow time advanced only ${result.wokeAtMs - result.startedAtMs} ms`,
  );
  assert.ok(
    serverTimeAfter - serverTimeBefore >= HOURS_48_MS,
    `server time advanced only ${serverTimeAfter - serverTimeBefore} ms`,
  );
});
