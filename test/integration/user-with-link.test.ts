// ensureUserWithLink on the real Keystone and setpass API: a new user made with its temporary
// password in one request and a working link; run again, the same user and a new link that
// kills the old one; the person then sets a password and logs in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import { createOpenStackActivities } from '../../activities/openstack/activities';
import { createSetpassActivities } from '../../activities/setpass/activities';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { formSession, postForm } from '../support/forms';
import { keystoneLogin, testConfig, uniqueName } from '../support/services';

const PIN = '3141';

describe('a new user made with its set-password link', () => {
  const config = testConfig();
  const keystone = keystoneFromConfig(config);
  let api: RunningSetpass;
  const mock = new MockActivityEnvironment();
  const run = <A, R>(fn: (arg: A) => Promise<R>, arg: A) => mock.run(fn, arg) as Promise<R>;

  before(async () => {
    api = await startSetpassServer(config, { port: 0, log: () => undefined });
  });
  after(async () => {
    await api?.close();
  });

  test('one step makes the user and its link; again, the same user and only the new link', async () => {
    const setpass = createSetpassActivities({
      keystone,
      domainId: config.auth.domain_id,
      setpassUrl: api.url,
      timeoutMs: config.auth.request_timeout,
    });
    const openstack = createOpenStackActivities({
      keystone,
      domainId: config.auth.domain_id,
      memberRole: config.auth.member_role,
    });
    const project = await run(openstack.ensureProject, { name: uniqueName('Link') });
    const email = `${uniqueName('link')}@example.org`;
    const input = {
      email,
      fullName: 'Lin K',
      defaultProjectId: project.id,
      pin: PIN,
      workflowId: `onboard:${email}`,
    };
    const first = await run(setpass.ensureUserWithLink, input);
    assert.equal(first.created, true);
    const again = await run(setpass.ensureUserWithLink, { ...input, email: email.toUpperCase() });
    assert.deepEqual(
      { ...again, token: undefined },
      { id: first.id, created: false, token: undefined },
    );
    assert.notEqual(again.token, first.token);

    const page = (token: string) => fetch(`${api.url}?token=${token}`);
    assert.equal((await page(first.token)).status, 404, 'the first link died with the second');
    assert.equal((await page(again.token)).status, 200);

    const password = `Linked-${uniqueName('pw')}`;
    const session = await formSession(`${api.url}?token=${again.token}`);
    const answer = await postForm(
      api.url,
      { token: again.token, pin: PIN, password, confirm_password: password },
      session,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal((await keystoneLogin(config, email, password)).status, 201);
  });
});
