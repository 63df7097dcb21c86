// Connecting to a Temporal cluster: a wrong address or a TLS mismatch fails with a message that
// names the settings to check (against the real local dev server, which speaks plain gRPC).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, connectWorkerConnection, startRefusal } from '../../lib/temporal';
import { testConfig } from '../support/services';

test('the local dev server is reached without TLS', async () => {
  const client = await connectClient(testConfig());
  await client.connection.close();
});

test('TLS against a plain server: the error says where and what to check', async () => {
  const config = testConfig({ KAIZEN_TEMPORAL__TLS: 'true' });
  await assert.rejects(
    connectClient(config),
    /cannot reach Temporal at 127\.0\.0\.1:7233 with TLS \(namespace default\): .*Check \[temporal\] address, tls/,
  );
  await assert.rejects(connectWorkerConnection(config), /cannot reach Temporal at .* with TLS/);
});

test('nothing listening: the error names the address', async () => {
  const config = testConfig({ KAIZEN_TEMPORAL__ADDRESS: '127.0.0.1:1' });
  await assert.rejects(
    connectWorkerConnection(config),
    /cannot reach Temporal at 127\.0\.0\.1:1 without TLS/,
  );
});

test('a start Temporal refuses for what it asks is told apart from an outage', async () => {
  const client = await connectClient(testConfig());
  try {
    const refused = await client.workflow
      .start('onboardUser', { workflowId: 'x'.repeat(2_000), taskQueue: 'nobody-serves-this' })
      .then(
        () => assert.fail('a 2 000-character workflow id was accepted'),
        (err: unknown) => err,
      );
    // Server 1.29 says 'WorkflowId length exceeds limit', 1.32 'exceeds maximum allowed length'.
    assert.match(startRefusal(refused) ?? '', /WorkflowId (length )?exceeds/);
  } finally {
    await client.connection.close();
  }
  const down = await connectClient(testConfig({ KAIZEN_TEMPORAL__ADDRESS: '127.0.0.1:1' })).then(
    () => assert.fail('connected to nothing'),
    (err: unknown) => err,
  );
  assert.equal(startRefusal(down), undefined);
  assert.equal(startRefusal(new Error('WorkflowId length exceeds limit.')), undefined);
});
