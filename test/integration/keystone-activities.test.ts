// The OpenStack activities against the real Keystone: idempotent, case-insensitive, and a 4xx
// is a non-retryable failure. (MockActivityEnvironment only supplies the activity context.)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createOpenStackActivities } from '../../activities/openstack/openstack-activities';
import { httpRequest, RequestRejected, ServiceUnavailable } from '../../lib/http';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { testConfig, uniqueName } from '../support/services';

describe('OpenStack activities on Keystone', () => {
  const config = testConfig();
  const activities = createOpenStackActivities({
    keystone: keystoneFromConfig(config),
    domainId: config.auth.domain_id,
    memberRole: config.auth.member_role,
  });
  const mock = new MockActivityEnvironment();
  const run = <A, R>(fn: (arg: A) => Promise<R>, arg: A) => mock.run(fn, arg) as Promise<R>;

  test('each step can run twice; names match case-insensitively', async () => {
    const name = uniqueName('Idem');
    const first = await run(activities.ensureProject, { name });
    const second = await run(activities.ensureProject, { name: name.toUpperCase() });
    assert.equal(first.created, true);
    // The same workflow finds the project it created (its claim tag): still its own.
    assert.deepEqual(second, { id: first.id, created: false, ours: true });

    const email = `${uniqueName('idem')}@example.org`;
    const user = await run(activities.ensureUser, {
      email,
      fullName: 'I Dem',
      defaultProjectId: first.id,
    });
    const userAgain = await run(activities.ensureUser, {
      email: email.toUpperCase(),
      fullName: 'I Dem',
      defaultProjectId: first.id,
    });
    assert.deepEqual(userAgain, { id: user.id, created: false });

    await run(activities.grantMemberRole, { userId: user.id, projectId: first.id });
    await run(activities.grantMemberRole, { userId: user.id, projectId: first.id });
  });

  test('a request Keystone refuses (4xx) fails without retry, with a stable type', async () => {
    await assert.rejects(
      run(activities.grantMemberRole, { userId: 'no-such-user', projectId: 'no-such-project' }),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.nonRetryable, true);
        assert.equal(err.type, 'RequestRejected');
        assert.match(err.message, /Keystone refused PUT .* HTTP 404/);
        return true;
      },
    );
  });
});

describe('HTTP failures are sorted into retry and no-retry', () => {
  test('5xx and unreachable servers are ServiceUnavailable; 4xx is RequestRejected', async () => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/busy' ? 503 : 400;
      res.end(JSON.stringify({ error: { message: 'bad\nthing' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const call = (path: string) =>
        httpRequest({ service: 'Test', method: 'GET', url: base + path, timeoutMs: 5000 });
      await assert.rejects(call('/busy'), ServiceUnavailable);
      await assert.rejects(
        call('/bad'),
        (err: unknown) =>
          err instanceof RequestRejected && err.status === 400 && err.detail === 'bad thing',
      );
    } finally {
      server.close();
    }
    await assert.rejects(
      httpRequest({ service: 'Test', method: 'GET', url: base, timeoutMs: 2000 }),
      ServiceUnavailable,
    );
  });
});
