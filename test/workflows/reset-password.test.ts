// Every exit of resetPassword with mocked activities on the time-skipping test server: a week of
// waiting for an approval, and a link's life, in seconds.
//   node --import tsx --test test/workflows/reset-password.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApplicationFailure,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  approveResetSignal,
  decideResetUpdate,
  passwordSetSignal,
  resetStatusQuery,
  type ResetPasswordInput,
} from '../../shared/onboarding';
import { resetPassword } from '../../workflows';
import {
  DAY,
  MINUTE,
  queryUntil,
  recorded,
  unique,
  describeWorkflows,
  type Activities,
  type Recorded,
} from './support';
import { signalWarnings } from './warnings';

const USER_ID = 'user-7';
const LINK_LIFETIME = 2 * DAY;
/** One reminder when three quarters of the link's life have passed. */
const REMIND_AFTER = 0.75 * LINK_LIFETIME;

describeWorkflows('resetPassword (mocked activities)', (wf) => {
  const input = (fields: Partial<ResetPasswordInput> = {}): ResetPasswordInput => ({
    email: `${unique('ada')}@example.org`,
    name: 'Ada L.',
    pin: '1357',
    approval: 'auto',
    deniedRoles: ['admin'],
    linkLifetimeMs: LINK_LIFETIME,
    ...fields,
  });

  const mocks = (overrides: Partial<Activities> = {}): Recorded =>
    recorded({
      findUser: async ({ name }) => ({
        id: USER_ID,
        name,
        email: name,
        fullName: 'Ada Lovelace',
      }),
      userRoleNames: async () => ['member'],
      issueSetpassToken: async () => ({ token: 'reset-token' }),
      sendMail: async ({ messageKey }) => ({ messageId: `<${messageKey}>` }),
      ...overrides,
    });

  const start = (taskQueue: string, args: ResetPasswordInput) =>
    wf.env.client.workflow.start(resetPassword, {
      taskQueue,
      workflowId: unique('reset'),
      args: [args],
    });

  const atStep = (handle: WorkflowHandle, step: string) =>
    queryUntil(handle, resetStatusQuery, (s) => s.step === step, `the reset (${step})`);

  const mails = (rec: Recorded) =>
    rec.inputs('sendMail').map((m) => (m.audience ? `${m.audience}:${m.template}` : m.template));

  const refused = (reason: RegExp) => (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `not an update failure: ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.match(err.cause.message, reason);
    return true;
  };

  /** `atMs` lies `ms` after `fromMs`, give or take a minute. */
  const isAfter = (atMs: number, fromMs: number, ms: number, what: string) => {
    const off = atMs - fromMs - ms;
    assert.ok(Math.abs(off) < MINUTE, `${what} is ${off} ms off`);
  };

  test('no such account: ends quietly, nothing else asked', async () => {
    const rec = mocks({ findUser: async () => null });
    const args = input();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      assert.equal(await handle.result(), 'no-such-account');
      assert.deepEqual(await handle.query(resetStatusQuery), {
        step: 'done',
        outcome: 'no-such-account',
      });
    });
    assert.deepEqual(rec.names(), ['findUser']);
    assert.deepEqual(rec.inputs('findUser'), [{ name: args.email }]);
  });

  test('refused: a denied role, the admins told, no link', async () => {
    const rec = mocks({ userRoleNames: async () => ['member', 'admin'] });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      assert.equal(await handle.result(), 'refused');
      assert.equal((await handle.query(resetStatusQuery)).outcome, 'refused');
    });
    assert.deepEqual(rec.names(), ['findUser', 'userRoleNames', 'sendMail']);
    assert.deepEqual(rec.inputs('userRoleNames'), [{ userId: USER_ID }]);
    const [mail] = rec.inputs('sendMail');
    assert.equal(mail?.audience, 'admins');
    assert.equal(mail?.template, 'reset-refused');
    assert.equal(
      mail?.reason,
      'the account holds the role(s) admin, which cannot be reset by form',
    );
  });

  test('approved by signal: the link goes out, the password is set', async () => {
    const rec = mocks();
    const args = input({ approval: 'approve' });
    const workflowId = await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await atStep(handle, 'waiting-for-approval');
      const [ask] = rec.inputs('sendMail');
      assert.equal(ask?.template, 'reset-approval');
      assert.equal(ask?.audience, 'admins');
      assert.equal(ask?.reason, `approve with: npm run cli -- approve-reset ${handle.workflowId}`);
      assert.deepEqual(rec.names(), ['findUser', 'userRoleNames', 'sendMail']);

      await handle.signal(approveResetSignal, { approved: true, by: 'ops' });
      const status = await atStep(handle, 'waiting-for-password');
      assert.equal(status.decidedBy, 'ops');
      // Refused as the Update is, and ignored: nothing reads a decision any more.
      await handle.signal(approveResetSignal, { approved: false, by: 'late' });
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      assert.equal(await handle.result(), 'password-set');
      assert.equal((await handle.query(resetStatusQuery)).decidedBy, 'ops');
      assert.deepEqual(await signalWarnings(handle.workflowId, 1), [
        'approveReset signal ignored: already approved by ops',
      ]);
      return handle.workflowId;
    });
    assert.deepEqual(mails(rec), ['admins:reset-approval', 'password-reset']);
    // The PIN from the form, and the id the setpass API signals when the password is set.
    assert.deepEqual(rec.inputs('issueSetpassToken'), [
      { userId: USER_ID, pin: '1357', workflowId },
    ]);
    const link = rec.inputs('sendMail')[1]!;
    assert.equal(link.to, args.email);
    assert.equal(link.setpassToken, 'reset-token');
  });

  test('approved by Update: answered once under way; a second decision is refused', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ approval: 'approve' }));
      await atStep(handle, 'waiting-for-approval');
      const answer = await handle.executeUpdate(decideResetUpdate, {
        args: [{ approved: true, by: 'ops' }],
      });
      assert.notEqual(answer.step, 'waiting-for-approval');
      assert.equal(answer.decidedBy, 'ops');
      await assert.rejects(
        handle.executeUpdate(decideResetUpdate, { args: [{ approved: false, by: 'boss' }] }),
        refused(/^already approved by ops$/),
      );
      await atStep(handle, 'waiting-for-password');
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      assert.equal(await handle.result(), 'password-set');
      assert.equal((await handle.query(resetStatusQuery)).decidedBy, 'ops');
    });
    assert.deepEqual(mails(rec), ['admins:reset-approval', 'password-reset']);
  });

  test('rejected by Update: answered as done, no link', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ approval: 'approve' }));
      await atStep(handle, 'waiting-for-approval');
      const answer = await handle.executeUpdate(decideResetUpdate, {
        args: [{ approved: false, by: 'ops' }],
      });
      assert.deepEqual(answer, { step: 'done', outcome: 'rejected-by-admin', decidedBy: 'ops' });
      assert.equal(await handle.result(), 'rejected-by-admin');
    });
    assert.deepEqual(rec.names(), ['findUser', 'userRoleNames', 'sendMail']);
  });

  test('not approved within 7 days: lapses as rejected', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ approval: 'approve' }));
      assert.equal(await handle.result(), 'rejected-by-admin');
      const { startTime, closeTime } = await handle.describe();
      const waited = closeTime!.getTime() - startTime.getTime();
      assert.ok(Math.abs(waited - 7 * DAY) < MINUTE, `lapsed after ${waited / DAY} days`);
      const status = await handle.query(resetStatusQuery);
      assert.equal(status.decidedBy, undefined);
      assert.equal(status.outcome, 'rejected-by-admin');
    });
    assert.deepEqual(mails(rec), ['admins:reset-approval']);
    assert.equal(rec.inputs('issueSetpassToken').length, 0);
  });

  test('no approval needed: link, a reminder at 3/4 of its life, then the password is set', async () => {
    const rec = mocks();
    const args = input();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await atStep(handle, 'waiting-for-password');
      await assert.rejects(
        handle.executeUpdate(decideResetUpdate, { args: [{ approved: true, by: 'ops' }] }),
        refused(/^the reset is not waiting for approval: it is at step waiting-for-password$/),
      );
      await wf.env.sleep(REMIND_AFTER + MINUTE);
      await queryUntil(
        handle,
        resetStatusQuery,
        () => rec.inputs('sendMail').length === 2,
        'the reminder',
      );
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      assert.equal(await handle.result(), 'password-set');
    });
    assert.deepEqual(rec.names(), [
      'findUser',
      'userRoleNames',
      'issueSetpassToken',
      'sendMail',
      'sendMail',
    ]);
    assert.deepEqual(mails(rec), ['password-reset', 'reminder']);
    const [link, reminder] = rec.calls.filter((c) => c.name === 'sendMail');
    isAfter(reminder!.atMs, link!.atMs, REMIND_AFTER, 'the reminder');
    assert.equal(rec.inputs('sendMail')[1]?.setpassToken, 'reset-token');
    assert.equal(rec.inputs('sendMail')[1]?.to, args.email);
  });

  test('link expired unused: one reminder, then done as link-sent', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      assert.equal(await handle.result(), 'link-sent');
      const { closeTime } = await handle.describe();
      const [link, reminder] = rec.calls.filter((c) => c.name === 'sendMail');
      isAfter(reminder!.atMs, link!.atMs, REMIND_AFTER, 'the reminder');
      isAfter(closeTime!.getTime(), link!.atMs, LINK_LIFETIME, 'the end');
      assert.deepEqual(await handle.query(resetStatusQuery), {
        step: 'done',
        outcome: 'link-sent',
      });
    });
    assert.deepEqual(mails(rec), ['password-reset', 'reminder']);
  });
});
