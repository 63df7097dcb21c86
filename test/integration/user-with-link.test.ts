// ensureUserWithLink on the real Keystone and setpass API: a new user made with its temporary
// password in one request and a working link; run again, the same user and a new link that
// kills the old one; the person then sets a password and logs in. Someone else's account under
// the address is never given a new password; a link is revoked only by the onboarding that made it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import { createOpenStackActivities } from '../../activities/openstack/openstack-activities';
import { createSetpassActivities } from '../../activities/setpass/setpass-activities';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { formSession, postForm } from '../support/forms';
import { FailureType } from '../../shared/failures';
import { createKeystoneUser, keystoneLogin, testConfig, uniqueName } from '../support/services';

const PIN = '3141';

describe('a new user made with its set-password link', () => {
  const config = testConfig();
  const keystone = keystoneFromConfig(config);
  let api: RunningSetpass;
  const mock = new MockActivityEnvironment();
  const run = <A, R>(fn: (arg: A) => Promise<R>, arg: A) => mock.run(fn, arg) as Promise<R>;

  let setpass: ReturnType<typeof createSetpassActivities>;

  before(async () => {
    api = await startSetpassServer(config, { port: 0, log: () => undefined });
    setpass = createSetpassActivities({
      keystone,
      domainId: config.auth.domain_id,
      setpassUrl: api.url,
      timeoutMs: config.auth.request_timeout,
    });
  });
  after(async () => {
    await api?.close();
  });

  const openstack = createOpenStackActivities({
    keystone,
    domainId: config.auth.domain_id,
    memberRole: config.auth.member_role,
  });

  test('one step makes the user and its link; again, the same user and only the new link', async () => {
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

  test("someone else's account is refused and left as it was: no new password, no link", async () => {
    const email = `${uniqueName('own')}@example.org`;
    const own = `Own-${uniqueName('pw')}`;
    const userId = await createKeystoneUser(config, { name: email, password: own });
    const project = await run(openstack.ensureProject, { name: uniqueName('Own') });
    const workflowId = `onboard:${email}`;
    const refusal = (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, FailureType.accountExists);
      assert.equal(
        err.message.toLowerCase(),
        `${email} has an account already: answer "Yes" to "Existing account?" (nothing was changed in keystone)`.toLowerCase(),
      );
      return true;
    };
    await assert.rejects(run(openstack.refuseForeignAccount, { email, workflowId }), refusal);
    await assert.rejects(
      run(setpass.ensureUserWithLink, {
        email: email.toUpperCase(),
        fullName: 'Own Er',
        defaultProjectId: project.id,
        pin: PIN,
        workflowId,
      }),
      refusal,
    );
    assert.equal((await keystoneLogin(config, email, own)).status, 201, 'her password still works');
    const api2 = await fetch(new URL(`token/${userId}`, api.url), { method: 'DELETE' });
    assert.equal(api2.status, 401, 'revoking a link is for admins only');
  });

  test('an account this onboarding made is its own on a retry; another onboarding may not touch it', async () => {
    const project = await run(openstack.ensureProject, { name: uniqueName('Retry') });
    const email = `${uniqueName('retry')}@example.org`;
    const input = { email, fullName: 'Re Try', defaultProjectId: project.id, pin: PIN };
    const workflowId = `onboard:${email}:first`;
    const made = await run(setpass.ensureUserWithLink, { ...input, workflowId });
    await run(openstack.refuseForeignAccount, { email, workflowId }); // ours: no refusal
    await assert.rejects(
      run(openstack.refuseForeignAccount, { email, workflowId: `onboard:${email}:other` }),
      /has an account already/,
    );
    await assert.rejects(
      run(setpass.ensureUserWithLink, { ...input, workflowId: `onboard:${email}:other` }),
      /has an account already/,
    );

    // Revoking: only this onboarding's link, idempotent, and the link then answers 404.
    const page = (token: string) => fetch(`${api.url}?token=${token}`);
    const revoke = (id: string) =>
      run(setpass.revokeSetpassLink, { userId: made.id, workflowId: id });
    assert.deepEqual(await revoke('onboard:someone-else'), { revoked: false });
    assert.equal((await page(made.token)).status, 200, "another workflow's revoke kept it");
    assert.deepEqual(await revoke(workflowId), { revoked: true });
    assert.equal((await page(made.token)).status, 404);
    assert.deepEqual(await revoke(workflowId), { revoked: false }, 'again: the same answer');
  });
});
