// Every exit of onboardUser with mocked activities on the time-skipping test server: days of
// reminders in seconds, and no Keystone, setpass, mail or sheet behind the activities.
//   node --import tsx --test test/workflows/onboard-user.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { FailureType } from '../../shared/failures';
import {
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  extendDeadlineUpdate,
  passwordSetSignal,
  resendLinkUpdate,
  retryMailUpdate,
  searchAttributes,
  statusQuery,
  type OnboardingStatus,
  type OnboardUserInput,
  type Registration,
  type ReminderPolicy,
} from '../../shared/onboarding';
import { onboardUser } from '../../workflows';
import {
  DAY,
  HOUR,
  MINUTE,
  queryUntil,
  recorded,
  unique,
  describeWorkflows,
  workflowFailure,
  type Activities,
  type Recorded,
} from './support';

/** The production defaults: [reminder] schedule 1d,3d,7d, abandon_after 14d, 48 h links. */
const POLICY: ReminderPolicy = {
  afterMs: [1 * DAY, 3 * DAY, 7 * DAY],
  abandonAfterMs: 14 * DAY,
  linkLifetimeMs: 48 * HOUR,
};
const PROJECT_ID = 'project-1';
const USER_ID = 'user-1';

describeWorkflows('onboardUser (mocked activities)', (wf) => {
  const registration = (fields: Partial<Registration> = {}): Registration => ({
    email: `${unique('ada')}@example.org`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    project: unique('Proj'),
    pin: '2468',
    ...fields,
  });

  /** Activities that all succeed: a new project that is ours, a new user, token-1, token-2 … */
  const mocks = (overrides: Partial<Activities> = {}): Recorded => {
    let tokens = 0;
    return recorded({
      ensureProject: async () => ({ id: PROJECT_ID, created: true, ours: true }),
      applyQuotas: async () => undefined,
      ensureUserWithLink: async () => ({ id: USER_ID, created: true, token: `token-${++tokens}` }),
      findExistingUser: async ({ email }) => `id-of-${email}`,
      grantMemberRole: async () => undefined,
      issueSetpassToken: async () => ({ token: `token-${++tokens}` }),
      sendMail: async ({ messageKey }) => ({ messageId: `<${messageKey}>` }),
      markRequest: async () => undefined,
      moveToCurrentUsers: async () => undefined,
      refuseForeignAccount: async () => undefined,
      revokeSetpassLink: async () => ({ revoked: true }),
      ...overrides,
    });
  };

  const start = (taskQueue: string, input: OnboardUserInput) =>
    wf.env.client.workflow.start(onboardUser, {
      taskQueue,
      workflowId: unique('onboard'),
      args: [input],
    });

  const waiting = (handle: WorkflowHandle) =>
    queryUntil(handle, statusQuery, (s) => s.step === 'waiting-for-password', 'the onboarding');

  /** Set-password links issued: the first with the user, each later one alone. */
  const linksIssued = (rec: Recorded) =>
    rec.inputs('ensureUserWithLink').length + rec.inputs('issueSetpassToken').length;

  /** The mails in order: `template` to the person, `admins:template` to the admins. */
  const mails = (rec: Recorded) =>
    rec.inputs('sendMail').map((m) => (m.audience ? `${m.audience}:${m.template}` : m.template));

  const attributes = async (handle: WorkflowHandle) => {
    const found = (await handle.describe()).typedSearchAttributes;
    return {
      step: found.get(searchAttributes.step),
      reminders: found.get(searchAttributes.reminders),
      linkExpires: found.get(searchAttributes.linkExpires),
    };
  };

  /** `iso` lies `ms` after `fromMs`, give or take a minute of real time between tasks. */
  const isAfter = (iso: string | undefined, fromMs: number, ms: number, what: string) => {
    assert.ok(iso, `${what} is not set`);
    const off = Date.parse(iso) - fromMs - ms;
    assert.ok(Math.abs(off) < MINUTE, `${what} is ${off} ms off`);
  };

  /** A refused Update: the validator's reason, and no trace in history. */
  const refused = (reason: RegExp) => (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `not an update failure: ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.match(err.cause.message, reason);
    return true;
  };

  test('new user: project, quotas, user, roles, link mailed; completed when the password is set', async () => {
    const reg = registration({ sheetKey: unique('row'), additionalUsers: ['grace@example.org'] });
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      const status = await waiting(handle);
      const linkSentMs = rec.calls.at(-1)!.atMs;
      assert.equal(status.userId, USER_ID);
      assert.equal(status.projectId, PROJECT_ID);
      assert.equal(status.linksSent, 1);
      assert.equal(status.remindersSent, 0);
      isAfter(status.nextReminderAt, linkSentMs, 1 * DAY, 'the first reminder');
      isAfter(status.linkExpiresAt, linkSentMs, 48 * HOUR, 'the link expiry');
      isAfter(status.abandonAt, linkSentMs, 14 * DAY, 'the deadline');
      assert.deepEqual(await attributes(handle), {
        step: 'waiting-for-password',
        reminders: 0,
        linkExpires: new Date(status.linkExpiresAt!),
      });

      // A set-password signal for someone else is ignored: the Update after it still finds
      // the password awaited, and its answer carries the deadline moved by a day.
      await handle.signal(passwordSetSignal, {
        userId: 'user-2',
        at: '2026-01-01T00:00:00.000Z',
      });
      const extended = await handle.executeUpdate(extendDeadlineUpdate, {
        args: [{ by: 'ops', ms: DAY }],
      });
      assert.equal(extended.passwordSetAt, undefined);
      assert.equal(extended.step, 'waiting-for-password');
      assert.equal(Date.parse(extended.abandonAt!) - Date.parse(status.abandonAt!), DAY);

      await handle.signal(passwordSetSignal, { userId: USER_ID, at: '2026-01-02T00:00:00.000Z' });
      assert.deepEqual(await handle.result(), {
        outcome: 'completed',
        userId: USER_ID,
        projectId: PROJECT_ID,
        remindersSent: 0,
      });
      const done = await handle.query(statusQuery);
      assert.equal(done.step, 'completed');
      assert.equal(done.passwordSetAt, '2026-01-02T00:00:00.000Z');
      assert.equal(done.nextReminderAt, undefined);
      assert.equal((await attributes(handle)).step, 'completed');
      // The Keystone steps ran as local activities (LOCAL_STEPS_PATCH): the server scheduled
      // only the mails and the sheet move, and recorded the seven steps as markers.
      const events = (await handle.fetchHistory()).events ?? [];
      assert.deepEqual(
        events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
        ['sendMail', 'sendMail', 'moveToCurrentUsers'],
      );
      const markers = events.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      assert.equal(markers.length, 7);
    });

    assert.deepEqual(rec.names(), [
      'refuseForeignAccount',
      'ensureProject',
      'applyQuotas',
      'ensureUserWithLink',
      'grantMemberRole',
      'findExistingUser',
      'grantMemberRole',
      'sendMail',
      'sendMail',
      'moveToCurrentUsers',
    ]);
    assert.deepEqual(rec.inputs('ensureProject'), [{ name: reg.project, mode: 'find-or-create' }]);
    // The user is made with its link: its PIN, and the workflow setpass signals.
    const [made] = rec.inputs('ensureUserWithLink');
    assert.deepEqual(
      { ...made, workflowId: undefined },
      {
        email: reg.email,
        fullName: 'Ada Lovelace',
        defaultProjectId: PROJECT_ID,
        pin: '2468',
        workflowId: undefined,
      },
    );
    assert.match(made?.workflowId ?? '', /^onboard/);
    assert.equal(rec.inputs('issueSetpassToken').length, 0);
    assert.deepEqual(rec.inputs('grantMemberRole'), [
      { userId: USER_ID, projectId: PROJECT_ID },
      { userId: 'id-of-grace@example.org', projectId: PROJECT_ID },
    ]);
    assert.deepEqual(mails(rec), ['welcome', 'set-password']);
    const [welcome, link] = rec.inputs('sendMail');
    assert.equal(welcome?.to, reg.email);
    assert.equal(welcome?.setpassToken, undefined);
    assert.equal(link?.setpassToken, 'token-1');
    assert.deepEqual(rec.inputs('moveToCurrentUsers'), [{ key: reg.sheetKey }]);
  });

  test('existing user: a project of theirs, a new-project mail and no link', async () => {
    const reg = registration({ existingUser: true, pin: undefined });
    const rec = mocks({
      // A project someone else made: its quotas are not ours to set.
      ensureProject: async () => ({ id: PROJECT_ID, created: false, ours: false }),
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      assert.deepEqual(await handle.result(), {
        outcome: 'completed',
        userId: `id-of-${reg.email}`,
        projectId: PROJECT_ID,
        remindersSent: 0,
      });
      const status = await handle.query(statusQuery);
      assert.equal(status.step, 'completed');
      assert.equal(status.linksSent, undefined);
    });
    assert.deepEqual(rec.names(), [
      'ensureProject',
      'findExistingUser',
      'grantMemberRole',
      'sendMail',
    ]);
    const [mail] = rec.inputs('sendMail');
    assert.equal(mail?.template, 'new-project');
    assert.equal(mail?.to, reg.email);
    assert.equal(mail?.setpassToken, undefined);
  });

  test('no password: reminders at days 1, 3 and 7 (new links once expired), abandoned at day 14', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const rec = mocks();
    const wallStart = Date.now();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      assert.deepEqual(await handle.result(), {
        outcome: 'abandoned',
        userId: USER_ID,
        projectId: PROJECT_ID,
        remindersSent: 3,
      });
      const status = await handle.query(statusQuery);
      assert.equal(status.step, 'abandoned');
      assert.equal(status.linksSent, 3);
      assert.equal(status.nextReminderAt, undefined);
      const listed = await attributes(handle);
      assert.equal(listed.step, 'abandoned');
      assert.equal(listed.reminders, 3);
    });
    assert.ok(Date.now() - wallStart < 20_000, 'two weeks took more than 20 s of wall time');

    assert.deepEqual(mails(rec), [
      'welcome',
      'set-password',
      'reminder',
      'link-renewed',
      'link-renewed',
      'admins:abandoned',
    ]);
    const sent = rec.inputs('sendMail');
    // Day 1: the first link still lives. Days 3 and 7: it had expired, each carries a new one.
    assert.deepEqual(
      sent.slice(1, 5).map((m) => m.setpassToken),
      ['token-1', 'token-1', 'token-2', 'token-3'],
    );
    assert.equal(linksIssued(rec), 3);
    const mailTimes = rec.calls.filter((c) => c.name === 'sendMail').map((c) => c.atMs);
    const waitStart = mailTimes[1]!;
    [1 * DAY, 3 * DAY, 7 * DAY, 14 * DAY].forEach((ms, i) =>
      isAfter(new Date(mailTimes[i + 2]!).toISOString(), waitStart, ms, `mail ${i + 3}`),
    );
    assert.deepEqual(rec.inputs('markRequest'), [
      {
        key: reg.sheetKey,
        status: `abandoned: no password set after 3 reminders (project ${reg.project} and user ${reg.email} kept; link revoked)`,
      },
    ]);
    assert.equal(sent[5]?.reason, 'abandoned: no password set after 3 reminders');
    assert.equal(rec.inputs('moveToCurrentUsers').length, 0);
  });

  test('link renewed: the day-3 reminder carries a new token; completed after it', async () => {
    const reg = registration();
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await waiting(handle);
      await wf.env.sleep(3 * DAY + MINUTE);
      const status = await queryUntil(
        handle,
        statusQuery,
        (s) => s.linksSent === 2,
        'the renewed link',
      );
      assert.equal(status.remindersSent, 2);
      assert.equal(status.step, 'waiting-for-password');
      const renewedAt = rec.calls.at(-1)!.atMs;
      isAfter(status.linkExpiresAt, renewedAt, 48 * HOUR, 'the new link expiry');
      assert.equal((await attributes(handle)).reminders, 2);
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      const result = await handle.result();
      assert.equal(result.outcome, 'completed');
      assert.equal(result.remindersSent, 2);
    });
    assert.deepEqual(mails(rec), ['welcome', 'set-password', 'reminder', 'link-renewed']);
    assert.equal(linksIssued(rec), 2);
    assert.equal(rec.inputs('sendMail')[3]?.setpassToken, 'token-2');
  });

  test('cancelled by signal: the row says who and why; no admin mail', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await waiting(handle);
      await handle.signal(cancelOnboardingSignal, { by: 'ops', reason: 'duplicate request' });
      const result = await handle.result();
      assert.equal(result.outcome, 'cancelled');
      const status = await handle.query(statusQuery);
      assert.equal(status.step, 'cancelled');
      assert.equal(status.cancelled, 'by ops: duplicate request');
      assert.equal((await attributes(handle)).step, 'cancelled');
    });
    assert.deepEqual(rec.inputs('markRequest'), [
      {
        key: reg.sheetKey,
        status: `cancelled by ops: duplicate request (project ${reg.project} and user ${reg.email} kept; link revoked)`,
      },
    ]);
    assert.deepEqual(rec.inputs('revokeSetpassLink'), [
      { userId: USER_ID, workflowId: rec.inputs('ensureUserWithLink')[0]!.workflowId },
    ]);
    assert.deepEqual(mails(rec), ['welcome', 'set-password']);
    assert.equal(rec.inputs('moveToCurrentUsers').length, 0);
  });

  test('abandoned: the link is revoked and the row says what was kept', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      assert.equal((await handle.result()).outcome, 'abandoned');
      assert.equal(
        (await handle.query(statusQuery)).endNote,
        `project ${reg.project} and user ${reg.email} kept; link revoked; row marked abandoned`,
      );
    });
    assert.equal(rec.inputs('revokeSetpassLink').length, 1);
    assert.match(rec.inputs('markRequest')[0]!.status, /^abandoned: .*\(.*; link revoked\)$/);
  });

  test('a cancel sent while the project is made stops before the user: nothing more made or mailed', async () => {
    const reg = registration({ sheetKey: unique('row') });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rec = mocks({
      ensureProject: async () => {
        await held;
        return { id: PROJECT_ID, created: true, ours: true };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await queryUntil(
        handle,
        statusQuery,
        (s) => s.step === 'ensuring-project',
        'the project step',
      );
      const answer = handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'ops', reason: 'registered twice' }],
      });
      // Accepted while the step runs; answered once it took effect.
      await queryUntil(handle, statusQuery, (s) => s.step === 'ensuring-project', 'the cancel');
      release();
      assert.equal(
        (await answer).endNote,
        `project ${reg.project} kept; no link was issued; row marked cancelled`,
      );
      assert.equal((await handle.result()).outcome, 'cancelled');
    });
    assert.deepEqual(mails(rec), []);
    assert.equal(linksIssued(rec), 0, 'no user and no link after the cancel');
    assert.equal(rec.inputs('applyQuotas').length, 0);
    assert.equal(rec.inputs('revokeSetpassLink').length, 0, 'no user: no link to revoke');
    assert.deepEqual(rec.inputs('markRequest'), [
      {
        key: reg.sheetKey,
        status: `cancelled by ops: registered twice (project ${reg.project} kept; no link was issued)`,
      },
    ]);
  });

  test("an existing user's onboarding takes a cancel during its steps", async () => {
    const reg = registration({ existingUser: true, pin: undefined, sheetKey: unique('row') });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rec = mocks({
      ensureProject: async () => {
        await held;
        return { id: PROJECT_ID, created: true, ours: true };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await queryUntil(handle, statusQuery, (s) => s.step === 'ensuring-project', 'the step');
      const answer = handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'ops', reason: 'asked by mistake' }],
      });
      await queryUntil(handle, statusQuery, (s) => s.step === 'ensuring-project', 'the cancel');
      release();
      assert.equal((await answer).step, 'cancelled');
      assert.equal((await handle.result()).outcome, 'cancelled');
    });
    assert.deepEqual(mails(rec), []);
    assert.equal(rec.inputs('grantMemberRole').length, 0, 'no role after the cancel');
    assert.match(rec.inputs('markRequest')[0]!.status, /^cancelled by ops: asked by mistake/);
  });

  test('an Update accepted before a step fails gets its answer: the failed status', async () => {
    const reg = registration(); // no sheet row: nothing to await between the failure and the end
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rec = mocks({
      ensureProject: async () => {
        await held;
        throw ApplicationFailure.nonRetryable('Keystone refused: HTTP 400', FailureType.rejected);
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await queryUntil(handle, statusQuery, (s) => s.step === 'ensuring-project', 'the step');
      const answer = handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'ops', reason: 'registered twice' }],
      });
      const accepted = async () =>
        ((await handle.fetchHistory()).events ?? []).some(
          (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
        );
      for (let i = 0; !(await accepted()); i++) {
        assert.ok(i < 600, 'the cancel was not accepted within a minute');
        await new Promise((r) => setTimeout(r, 100));
      }
      release();
      const status = await answer;
      assert.equal(status.step, 'failed');
      assert.match(status.failure ?? '', /^at ensuring-project: Keystone refused: HTTP 400$/);
      await workflowFailure(handle, 'the onboarding');
    });
  });

  test('an address with an account this onboarding did not make is refused before anything', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const rec = mocks({
      refuseForeignAccount: async ({ email }) => {
        throw ApplicationFailure.nonRetryable(
          `${email} has an account already: answer "Yes" to "Existing account?" (nothing was changed in Keystone)`,
          FailureType.accountExists,
        );
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      const err = await workflowFailure(handle, 'the onboarding');
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.ok(err.cause.cause instanceof ActivityFailure);
      assert.equal((err.cause.cause.cause as ApplicationFailure).type, FailureType.accountExists);
      const status = await handle.query(statusQuery);
      assert.match(status.failure ?? '', /^at checking-address: .* has an account already/);
    });
    assert.equal(rec.inputs('refuseForeignAccount')[0]!.email, reg.email);
    assert.equal(rec.inputs('ensureProject').length, 0, 'no project made');
    assert.equal(linksIssued(rec), 0);
    assert.match(
      rec.inputs('markRequest')[0]!.status,
      /^failed: .* has an account already: answer "Yes"/,
    );
    assert.deepEqual(mails(rec), ['admins:request-failed']);
  });

  test('each refusal notice to the admins has its own key, across mails', async () => {
    const reg = registration();
    let refusedWelcome = false;
    let refusedLink = false;
    const rec = mocks({
      sendMail: async ({ template, audience, messageKey }) => {
        const refuse =
          !audience &&
          ((template === 'welcome' && !refusedWelcome && (refusedWelcome = true)) ||
            (template === 'set-password' && !refusedLink && (refusedLink = true)));
        if (refuse)
          throw ApplicationFailure.nonRetryable(
            `mail server refused ${reg.email} (SMTP 550)`,
            FailureType.recipientRefused,
          );
        return { messageId: `<${messageKey}>` };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      for (const n of [1, 2]) {
        await queryUntil(
          handle,
          statusQuery,
          (s) =>
            s.step === 'mail-refused' &&
            rec.inputs('sendMail').filter((m) => m.template === 'mail-refused').length === n,
          `refusal ${n}`,
        );
        await handle.executeUpdate(retryMailUpdate, { args: [{ by: 'ops' }] });
      }
      await waiting(handle);
      await handle.terminate('test over');
    });
    const keys = rec
      .inputs('sendMail')
      .filter((m) => m.template === 'mail-refused')
      .map((m) => m.messageKey.replace(/^.*\./, ''));
    assert.deepEqual(keys, ['refused-1', 'refused-2']);
  });

  test('cancelled by Update: answered with the cancelled status', async () => {
    const reg = registration();
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      await waiting(handle);
      const answer = await handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'ops', reason: 'left the institute' }],
      });
      assert.equal(answer.step, 'cancelled');
      assert.equal(answer.cancelled, 'by ops: left the institute');
      assert.equal(
        answer.endNote,
        `project ${reg.project} and user ${reg.email} kept; link revoked`,
      );
      assert.equal((await handle.result()).outcome, 'cancelled');
    });
    // No sheet row: nothing to mark.
    assert.equal(rec.inputs('markRequest').length, 0);
    assert.deepEqual(mails(rec), ['welcome', 'set-password']);
  });

  test('resend by Update: a new link (linksSent 2); refused Updates leave the status as it was', async () => {
    const reg = registration();
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      const before: OnboardingStatus = await waiting(handle);

      await assert.rejects(
        handle.executeUpdate(retryMailUpdate, { args: [{ by: 'ops' }] }),
        refused(/^no refused mail to retry: the onboarding is at step waiting-for-password$/),
      );
      for (const ms of [0, -HOUR]) {
        await assert.rejects(
          handle.executeUpdate(extendDeadlineUpdate, { args: [{ by: 'ops', ms }] }),
          refused(/^an extension must be a duration between 1 s and 365 d/),
        );
      }
      await assert.rejects(
        handle.executeUpdate(cancelOnboardingUpdate, { args: [{ by: 'ops', reason: '  ' }] }),
        refused(/^give a reason/),
      );
      assert.deepEqual(await handle.query(statusQuery), before);

      const answer = await handle.executeUpdate(resendLinkUpdate, { args: [{ by: 'ops' }] });
      assert.equal(answer.linksSent, 2);
      assert.equal(answer.step, 'waiting-for-password');
      assert.equal(answer.remindersSent, 0);
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      assert.equal((await handle.result()).outcome, 'completed');
    });
    assert.deepEqual(mails(rec), ['welcome', 'set-password', 'set-password']);
    const resent = rec.inputs('sendMail')[2]!;
    assert.equal(resent.setpassToken, 'token-2');
    assert.match(resent.messageKey, /\.resend-2$/);
    assert.equal(linksIssued(rec), 2);
  });

  test('mail refused: the admins are told, retry-mail by Update sends it, then completed', async () => {
    const reg = registration();
    let refusedOnce = false;
    const rec = mocks({
      sendMail: async ({ template, audience, messageKey }) => {
        if (template === 'welcome' && !audience && !refusedOnce) {
          refusedOnce = true;
          throw ApplicationFailure.nonRetryable(
            `mail server refused ${reg.email} (SMTP 550)`,
            FailureType.recipientRefused,
          );
        }
        return { messageId: `<${messageKey}>` };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      const stuck = await queryUntil(
        handle,
        statusQuery,
        (s) => s.step === 'mail-refused' && rec.inputs('sendMail').length === 2,
        'the refusal',
      );
      assert.equal(stuck.mailRefused, `mail server refused ${reg.email} (SMTP 550)`);
      assert.equal((await attributes(handle)).step, 'mail-refused');
      await assert.rejects(
        handle.executeUpdate(resendLinkUpdate, { args: [{ by: 'ops' }] }),
        refused(/^the mail server refuses .*: fix the address and retry-mail/),
      );

      const answer = await handle.executeUpdate(retryMailUpdate, { args: [{ by: 'ops' }] });
      assert.equal(answer.step, 'waiting-for-password');
      assert.equal(answer.mailRefused, undefined);
      assert.equal(answer.linksSent, 1);
      await handle.signal(passwordSetSignal, { userId: USER_ID, at: new Date().toISOString() });
      assert.equal((await handle.result()).outcome, 'completed');
    });
    assert.deepEqual(mails(rec), ['welcome', 'admins:mail-refused', 'welcome', 'set-password']);
    const adminMail = rec.inputs('sendMail')[1]!;
    assert.equal(adminMail.reason, `mail server refused ${reg.email} (SMTP 550)`);
    assert.match(adminMail.messageKey, /\.refused-1$/);
  });

  test('a 4xx from ensureProject fails it: row marked failed, admins told, the cause kept', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const message = 'keystone answered 403: You are not authorized to perform the requested action';
    const rec = mocks({
      ensureProject: async () => {
        throw ApplicationFailure.create({
          message,
          type: FailureType.rejected,
          nonRetryable: true,
          details: [{ service: 'keystone', status: 403 }],
        });
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      // WorkflowFailedError → OnboardingFailed (the workflow's wrap) → ActivityFailure → 4xx.
      const err = await workflowFailure(handle, 'the onboarding');
      const wrap = err.cause;
      assert.ok(wrap instanceof ApplicationFailure);
      assert.equal(wrap.type, 'OnboardingFailed');
      assert.equal(wrap.nonRetryable, true);
      assert.equal(
        wrap.message,
        `onboarding of ${reg.email} failed at ensuring-project: ${message}`,
      );
      assert.ok(wrap.cause instanceof ActivityFailure);
      assert.equal(wrap.cause.activityType, 'ensureProject');
      const rejection = wrap.cause.cause;
      assert.ok(rejection instanceof ApplicationFailure);
      assert.equal(rejection.type, 'RequestRejected');
      assert.deepEqual(rejection.details, [{ service: 'keystone', status: 403 }]);

      const status = await handle.query(statusQuery);
      assert.equal(status.step, 'failed');
      assert.equal(status.failure, `at ensuring-project: ${message}`);
      assert.equal((await attributes(handle)).step, 'failed');
    });
    assert.deepEqual(rec.names(), [
      'refuseForeignAccount',
      'ensureProject',
      'markRequest',
      'sendMail',
    ]);
    assert.deepEqual(rec.inputs('markRequest'), [
      { key: reg.sheetKey, status: `failed: ${message}` },
    ]);
    const [mail] = rec.inputs('sendMail');
    assert.equal(mail?.audience, 'admins');
    assert.equal(mail?.template, 'request-failed');
    assert.equal(mail?.reason, message);
  });

  test('a new user without a PIN fails as InvalidRegistration, unwrapped, before any token', async () => {
    const reg = registration({ pin: undefined });
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { registration: reg, reminders: POLICY });
      const err = await workflowFailure(handle, 'the onboarding');
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, FailureType.invalidRegistration);
      assert.equal(err.cause.message, 'a new user needs a PIN');
      const status = await handle.query(statusQuery);
      // Checked before the user is made: no account without a way to set its password.
      assert.equal(status.failure, 'at ensuring-user: a new user needs a PIN');
    });
    // No sheet row: no mark, no admin mail.
    assert.deepEqual(rec.names(), ['refuseForeignAccount', 'ensureProject', 'applyQuotas']);
  });

  // The legacy loop itself is run only by replay now: test/replay/v0.1.0/onboardUser-legacy-*.
  test('a new onboarding in the legacy reminder shape is refused before any step', async () => {
    const reg = registration({ sheetKey: unique('row') });
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, {
        registration: reg,
        reminders: { intervalMs: DAY, maxReminders: 2 },
      });
      const err = await workflowFailure(handle, 'the onboarding');
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidInput');
      assert.match(err.cause.message, /^reminders is \{ intervalMs, maxReminders \}/);
      assert.match(err.cause.message, /\{ afterMs, abandonAfterMs, linkLifetimeMs \}/);
      assert.equal((await handle.query(statusQuery)).step, 'failed');
    });
    assert.deepEqual(rec.names(), ['markRequest', 'sendMail'], 'no project, user or mail to them');
    assert.match(rec.inputs('markRequest')[0]?.status ?? '', /^failed: reminders is/);
    assert.equal(rec.inputs('sendMail')[0]?.template, 'request-failed');
  });
});
