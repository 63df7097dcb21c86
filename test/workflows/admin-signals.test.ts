// The admin signals of older versions run their Update's validator and action: an accepted one
// does what the Update does; a refused one is ignored with a warning where nothing could read
// it, and still taken (with a warning) where recorded histories acted on it.
//   node --import tsx --test test/workflows/admin-signals.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import { FailureType } from '../../shared/failures';
import {
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  extendDeadlineSignal,
  extendDeadlineUpdate,
  resendLinkSignal,
  resendLinkUpdate,
  retryMailSignal,
  retryMailUpdate,
  statusQuery,
  type OnboardingStatus,
  type Registration,
  type ReminderPolicy,
} from '../../shared/onboarding';
import { onboardUser } from '../../workflows';
import {
  DAY,
  describeWorkflows,
  HOUR,
  queryUntil,
  recorded,
  unique,
  type Activities,
  type Recorded,
} from './support';
import { signalWarnings } from './warnings';

const POLICY: ReminderPolicy = {
  afterMs: [1 * DAY, 3 * DAY, 7 * DAY],
  abandonAfterMs: 14 * DAY,
  linkLifetimeMs: 48 * HOUR,
};
const USER_ID = 'user-1';

describeWorkflows('admin signals (mocked activities)', (wf) => {
  // One registration for both onboardings of a comparison: their statuses name the same things.
  const registration = (): Registration => ({
    email: `${unique('ada')}@example.org`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    project: unique('Proj'),
    pin: '2468',
  });

  const mocks = (overrides: Partial<Activities> = {}): Recorded => {
    let tokens = 0;
    return recorded({
      refuseForeignAccount: async () => undefined,
      ensureProject: async () => ({ id: 'project-1', created: true, ours: true }),
      applyQuotas: async () => undefined,
      ensureUserWithLink: async () => ({ id: USER_ID, created: true, token: `token-${++tokens}` }),
      grantMemberRole: async () => undefined,
      issueSetpassToken: async () => ({ token: `token-${++tokens}` }),
      sendMail: async ({ messageKey }) => ({ messageId: `<${messageKey}>` }),
      revokeSetpassLink: async () => ({ revoked: true }),
      ...overrides,
    });
  };

  const start = (taskQueue: string, reg: Registration) =>
    wf.env.client.workflow.start(onboardUser, {
      taskQueue,
      workflowId: unique('onboard'),
      args: [{ registration: reg, reminders: POLICY }],
    });

  const until = (handle: WorkflowHandle, what: string, ready: (s: OnboardingStatus) => boolean) =>
    queryUntil(handle, statusQuery, ready, what);

  const mails = (rec: Recorded) => rec.inputs('sendMail').map((m) => m.template);

  /** A status without what differs between two runs of the same registration: times. */
  const comparable = ({
    step,
    linksSent,
    remindersSent,
    cancelled,
    endNote,
  }: OnboardingStatus) => ({ step, linksSent, remindersSent, cancelled, endNote });

  test('an accepted signal does what its Update does: extend, resend, cancel', async () => {
    const reg = registration();
    const [bySignal, byUpdate] = [mocks(), mocks()];
    await wf.withWorker(bySignal.activities, async (signalQueue) =>
      wf.withWorker(byUpdate.activities, async (updateQueue) => {
        const a = await start(signalQueue, reg);
        const b = await start(updateQueue, reg);
        const waiting = (s: OnboardingStatus) => s.step === 'waiting-for-password';
        const [a0, b0] = [await until(a, 'a', waiting), await until(b, 'b', waiting)];

        await a.signal(extendDeadlineSignal, { by: 'ops', ms: DAY });
        await b.executeUpdate(extendDeadlineUpdate, { args: [{ by: 'ops', ms: DAY }] });
        const moved = (s0: OnboardingStatus) => (s: OnboardingStatus) =>
          Date.parse(s.abandonAt!) - Date.parse(s0.abandonAt!) === DAY;
        await until(a, 'the signalled extension', moved(a0));
        assert.ok(moved(b0)(await b.query(statusQuery)));

        await a.signal(resendLinkSignal, { by: 'ops' });
        await b.executeUpdate(resendLinkUpdate, { args: [{ by: 'ops' }] });
        await until(a, 'the signalled resend', (s) => s.linksSent === 2);

        await a.signal(cancelOnboardingSignal, { by: 'ops', reason: 'registered twice' });
        await b.executeUpdate(cancelOnboardingUpdate, {
          args: [{ by: 'ops', reason: 'registered twice' }],
        });
        assert.deepEqual(await a.result(), await b.result());
        const [sa, sb] = [await a.query(statusQuery), await b.query(statusQuery)];
        assert.deepEqual(comparable(sa), comparable(sb));
        assert.equal(sa.cancelled, 'by ops: registered twice');
        assert.deepEqual(
          await signalWarnings(a.workflowId, 0),
          [],
          'no warning for an accepted signal',
        );
      }),
    );
    assert.deepEqual(mails(bySignal), mails(byUpdate));
    assert.deepEqual(mails(bySignal), ['welcome', 'set-password', 'set-password']);
    assert.equal(bySignal.inputs('revokeSetpassLink').length, 1);
  });

  test('retry-mail by signal sends the refused mail again, as the Update does', async () => {
    const refusedOnce = () => {
      let refused = false;
      return mocks({
        sendMail: async ({ template, messageKey }) => {
          if (template === 'welcome' && !refused && (refused = true))
            throw ApplicationFailure.nonRetryable(
              'refused (SMTP 550)',
              FailureType.recipientRefused,
            );
          return { messageId: `<${messageKey}>` };
        },
      });
    };
    const [bySignal, byUpdate] = [refusedOnce(), refusedOnce()];
    const reg = registration();
    const stuck = (rec: Recorded) => (s: OnboardingStatus) =>
      s.step === 'mail-refused' && rec.inputs('sendMail').length === 2;
    await wf.withWorker(bySignal.activities, async (signalQueue) =>
      wf.withWorker(byUpdate.activities, async (updateQueue) => {
        const a = await start(signalQueue, reg);
        const b = await start(updateQueue, reg);
        await until(a, 'the refusal (a)', stuck(bySignal));
        await until(b, 'the refusal (b)', stuck(byUpdate));
        await a.signal(retryMailSignal, { by: 'ops' });
        await b.executeUpdate(retryMailUpdate, { args: [{ by: 'ops' }] });
        const waiting = (s: OnboardingStatus) => s.step === 'waiting-for-password';
        const [sa, sb] = [await until(a, 'a', waiting), await until(b, 'b', waiting)];
        assert.deepEqual(comparable(sa), comparable(sb));
        for (const h of [a, b]) await h.terminate('test over');
      }),
    );
    assert.deepEqual(mails(bySignal), mails(byUpdate));
    assert.deepEqual(mails(bySignal), ['welcome', 'mail-refused', 'welcome', 'set-password']);
  });

  test('a refused signal nothing could read is ignored, with the reason in a warning', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rec = mocks({
      revokeSetpassLink: async () => {
        await held;
        return { revoked: true };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, registration());
      const before = await until(handle, 'the wait', (s) => s.step === 'waiting-for-password');
      // No refused mail: the wait wakes, finds nothing to do and waits on.
      await handle.signal(retryMailSignal, { by: 'ops' });
      assert.deepEqual(await signalWarnings(handle.workflowId, 1), [
        'retryMail signal ignored: no refused mail to retry: the onboarding is at step waiting-for-password',
      ]);
      assert.deepEqual(await handle.query(statusQuery), before);

      const answer = handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'ops', reason: 'left' }],
      });
      try {
        await until(handle, 'the cancel', (s) => s.step === 'cancelled');
        // After the end (its clean-up still running): nothing reads an action any more.
        await handle.signal(cancelOnboardingSignal, { by: 'late', reason: 'again' });
        await handle.signal(extendDeadlineSignal, { by: 'late', ms: -HOUR });
        await handle.signal(resendLinkSignal, { by: 'late' });
        const ended = 'no password is awaited: the onboarding is cancelled';
        assert.deepEqual((await signalWarnings(handle.workflowId, 4)).slice(1), [
          `cancel signal ignored: ${ended}`,
          `extendDeadline signal ignored: an extension must be a duration between 1 s and 365 d, not ${-HOUR} ms`,
          `resendLink signal ignored: ${ended}`,
        ]);
      } finally {
        release(); // also on a failure: the worker stops only once its activities have
      }
      assert.equal((await answer).cancelled, 'by ops: left');
      assert.equal((await handle.result()).outcome, 'cancelled');
    });
    assert.deepEqual(mails(rec), ['welcome', 'set-password']);
  });

  test('a resend sent before the link is still taken at the wait, as recorded histories did', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      // Sent with the start, like test/replay's onboardUser-resend-pending: the Update would be
      // refused (no link yet), and onboardings in flight acted on the signal at their wait.
      const handle = await wf.env.client.workflow.signalWithStart(onboardUser, {
        taskQueue,
        workflowId: unique('onboard'),
        args: [{ registration: registration(), reminders: POLICY }],
        signal: resendLinkSignal,
        signalArgs: [{ by: 'ops' }],
      });
      await until(handle, 'the resend', (s) => s.linksSent === 2);
      assert.deepEqual(await signalWarnings(handle.workflowId, 1), [
        'resendLink signal taken as before, though its Update would refuse it: no link has been mailed yet: the onboarding is at step started',
      ]);
      await handle.terminate('test over');
    });
    assert.deepEqual(mails(rec), ['welcome', 'set-password', 'set-password']);
  });
});
