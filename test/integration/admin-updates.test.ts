// Admin actions as Workflow Updates, on the real services: each accepted Update leaves the state
// its old signal leaves, each refusal leaves the state untouched and says why, and the CLI
// prints the answer at once. Also `cli status` (decoded, redacted) and `cli list`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { startOnboarding } from '../../wiring/start-onboarding';
import {
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  extendDeadlineSignal,
  extendDeadlineUpdate,
  resendLinkSignal,
  resendLinkUpdate,
  decideResetUpdate,
  approveResetSignal,
  resetStatusQuery,
  resetWorkflowId,
  retryMailSignal,
  retryMailUpdate,
  searchAttributes,
  statusQuery,
  type OnboardingStatus,
  type Registration,
  type ResetPasswordInput,
  type ResetStatus,
} from '../../shared/onboarding';
import { REDACTED } from '../../shared/secret-fields';
import type { onboardUser, resetPassword } from '../../workflows';
import { cliProcess, type CliRun } from '../support/cli-process';
import { startSystem, type TestSystem } from '../support/system';
import { formSession, linkFromMail, postForm } from '../support/forms';
import {
  createKeystoneUser,
  eventually,
  keystoneLogin,
  mailsTo,
  uniqueName,
} from '../support/services';

const PIN = '5083';
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };

function registration(project = uniqueName('Proj-upd')): Registration {
  const id = uniqueName('upd');
  return { email: `${id}@example.org`, firstName: 'Ada', lastName: 'Admin', project, pin: PIN };
}

/** Fields that differ between two onboardings for reasons other than the action. */
function comparable(s: OnboardingStatus, startedAt: number): Record<string, unknown> {
  const since = (iso?: string) => (iso ? Date.parse(iso) - startedAt : undefined);
  return {
    step: s.step,
    remindersSent: s.remindersSent,
    linksSent: s.linksSent,
    cancelled: s.cancelled?.replace(/by \S+/, 'by X'),
    // Deadlines relative to each onboarding's own start (a few seconds apart).
    abandonAfter: Math.round((since(s.abandonAt) ?? 0) / 60_000),
  };
}

describe('admin actions as Updates', () => {
  let system: TestSystem;
  let config: Config;
  let client: Client;
  let cli: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    system = await startSystem();
    ({ config, client } = system);
    cli = cliProcess(system.taskQueue);
  });
  after(() => system.close());

  async function waiting(): Promise<{ handle: WorkflowHandle<typeof onboardUser>; at: number }> {
    const { handle } = await startOnboarding(client, config, registration(), {
      taskQueue: system.taskQueue,
      reminders: PATIENT,
    });
    const status = await eventually('waiting for the password', async () => {
      const s = await handle.query(statusQuery);
      return s.step === 'waiting-for-password' ? s : undefined;
    });
    return { handle, at: Date.parse(status.abandonAt!) - PATIENT.abandonAfterMs };
  }

  test('each accepted Update leaves the state its signal leaves', async () => {
    const [bySignal, byUpdate] = [await waiting(), await waiting()];
    const by = 'admin-test';

    await bySignal.handle.signal(extendDeadlineSignal, { by, ms: 3_600_000 });
    const extended = await byUpdate.handle.executeUpdate(extendDeadlineUpdate, {
      args: [{ by, ms: 3_600_000 }],
    });
    assert.equal(Date.parse(extended.abandonAt!) - byUpdate.at, PATIENT.abandonAfterMs + 3_600_000);

    await bySignal.handle.signal(resendLinkSignal, { by });
    const resent = await byUpdate.handle.executeUpdate(resendLinkUpdate, { args: [{ by }] });
    assert.equal(resent.linksSent, 2, 'the answer comes once the new link is mailed');

    const same = async () => {
      const a = await bySignal.handle.query(statusQuery);
      return a.linksSent === 2 ? a : undefined;
    };
    assert.deepEqual(
      comparable((await eventually('the signalled resend', same))!, bySignal.at),
      comparable(await byUpdate.handle.query(statusQuery), byUpdate.at),
    );

    await bySignal.handle.signal(cancelOnboardingSignal, { by, reason: 'duplicate' });
    const cancelled = await byUpdate.handle.executeUpdate(cancelOnboardingUpdate, {
      args: [{ by, reason: 'duplicate' }],
    });
    assert.equal(cancelled.step, 'cancelled');
    const outcome = async (h: WorkflowHandle<typeof onboardUser>) => {
      const { outcome, remindersSent } = await h.result();
      return { outcome, remindersSent };
    };
    assert.deepEqual(await outcome(bySignal.handle), await outcome(byUpdate.handle));
    for (const { handle } of [bySignal, byUpdate]) {
      assert.equal(
        (await handle.describe()).typedSearchAttributes.get(searchAttributes.step),
        'cancelled',
      );
    }
  });

  test('cancel revokes the link: it answers 404, no password can be set with it', async () => {
    const { handle } = await waiting();
    const { email, project } = await handle.query(statusQuery);
    const link = await linkFromMail(email);
    assert.equal((await fetch(link)).status, 200, 'the link works before the cancel');
    // The person opened the page before the cancel: their form is posted after it.
    const session = await formSession(link);

    const answer = await handle.executeUpdate(cancelOnboardingUpdate, {
      args: [{ by: 'ops', reason: 'left' }],
    });
    assert.equal(answer.step, 'cancelled');
    assert.equal(answer.endNote, `project ${project} and user ${email} kept; link revoked`);
    assert.equal((await fetch(link)).status, 404, 'the link is dead');
    const password = `Cancelled-${uniqueName('pw')}`;
    const token = new URL(link).searchParams.get('token')!;
    const posted = await postForm(
      new URL('./', link).toString(),
      { token, pin: PIN, password, confirm_password: password },
      session,
    );
    assert.equal(posted.status, 404, posted.text);
    assert.match(posted.text, /this link is unknown or was already used/);
    assert.equal((await keystoneLogin(config, email, password)).status, 401);
  });

  test('a refused Update says why and changes nothing, not even the history', async () => {
    const { handle } = await waiting();
    const before = await handle.query(statusQuery);
    const eventsBefore = (await handle.fetchHistory()).events?.length;
    const refusal = async (run: () => Promise<unknown>) => {
      const err = await run().then(
        () => assert.fail('the update was accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      return err.cause?.message ?? '';
    };
    assert.match(
      await refusal(() => handle.executeUpdate(retryMailUpdate, { args: [{ by: 't' }] })),
      /no refused mail to retry: the onboarding is at step waiting-for-password/,
    );
    assert.match(
      await refusal(() =>
        handle.executeUpdate(extendDeadlineUpdate, { args: [{ by: 't', ms: -5 }] }),
      ),
      /an extension must be a duration between 1 s and 365 d/,
    );
    assert.match(
      await refusal(() =>
        handle.executeUpdate(cancelOnboardingUpdate, { args: [{ by: 't', reason: ' ' }] }),
      ),
      /give a reason/,
    );
    assert.deepEqual(await handle.query(statusQuery), before);
    assert.equal((await handle.fetchHistory()).events?.length, eventsBefore);
    await handle.terminate('test over');
  });

  test('the CLI answers at once: the new status, or the refusal and exit code 1', async () => {
    const { handle } = await waiting();
    const extended = await cli('extend', handle.workflowId, '2h');
    assert.equal(extended.code, 0, extended.stderr);
    assert.match(
      extended.stdout,
      /^extend done: onboard:.*: step waiting-for-password, .*abandoned if no password by /m,
    );

    const retry = await cli('retry-mail', handle.workflowId);
    assert.equal(retry.code, 1);
    assert.match(retry.stderr, /retry-mail refused: no refused mail to retry/);

    const cancelled = await cli('cancel', handle.workflowId, 'registered', 'twice');
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /cancel done: .* step cancelled/);

    const late = await cli('resend', handle.workflowId);
    assert.equal(late.code, 1);
    assert.match(
      late.stderr,
      /resend refused: no password is awaited: the workflow completed \d+ seconds? ago/,
    );
  });

  test('cli status shows the decoded input with the PIN redacted; cli list finds it', async () => {
    const project = uniqueName('Proj-list');
    const reg = registration(project);
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue: system.taskQueue,
      reminders: PATIENT,
    });
    await eventually('waiting for the password', async () =>
      (await handle.query(statusQuery)).step === 'waiting-for-password' ? true : undefined,
    );
    const shown = await cli('status', handle.workflowId);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(`"${PIN}"`), 'the PIN is not shown');
    const view = JSON.parse(shown.stdout) as {
      summary: string;
      details: string;
      input: [{ registration: Registration }];
      status: OnboardingStatus;
    };
    assert.equal(view.summary, `Onboard ${reg.email} into ${project}`);
    assert.equal(view.input[0].registration.email, reg.email);
    assert.equal(view.input[0].registration.pin, REDACTED);
    assert.match(view.details, /\*\*Step:\*\* waiting for the password/);
    assert.match(view.details, /\*\*Link expires:\*\*/);

    const listed = await eventually('the list to show it with its link expiry', async () => {
      const run = await cli('list', '--project', project);
      return /LINK EXPIRES/.test(run.stdout) && / UTC\s*$/m.test(run.stdout) ? run : undefined;
    });
    assert.equal(listed.code, 0, listed.stderr);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(reg.email));
    assert.ok(row, listed.stdout);
    assert.match(row, /waiting-for-password\s+\S+ \S+ UTC\s+0\s+\S+ \S+ UTC$/);
    assert.match(listed.stdout, /^1 onboarding$/m);
    const other = await cli('list', '--project', project, '--step', 'completed');
    assert.match(other.stdout, /^0 onboardings$/m);
    await handle.terminate('test over');
  });

  test('retry-mail as an Update leaves the state its signal leaves', async () => {
    const refused = async () => {
      const reg = { ...registration(), email: `${uniqueName('nobody')}@refused.invalid` };
      const { handle } = await startOnboarding(client, config, reg, {
        taskQueue: system.taskQueue,
        reminders: PATIENT,
      });
      await eventually('the onboarding to wait for an admin', async () =>
        (await handle.query(statusQuery)).step === 'mail-refused' ? true : undefined,
      );
      const toAdmins = async () =>
        (await mailsTo(config.email_defaults.admin_email)).filter((m) =>
          m.Subject.includes(`mail to ${reg.email} refused`),
        ).length;
      return { handle, toAdmins };
    };
    const [bySignal, byUpdate] = [await refused(), await refused()];
    await bySignal.handle.signal(retryMailSignal, { by: 'test' });
    const answer = await byUpdate.handle.executeUpdate(retryMailUpdate, { args: [{ by: 'test' }] });
    assert.equal(answer.step, 'mail-refused', 'refused again, and the answer says so');
    assert.match(answer.mailRefused ?? '', /refused/);
    for (const { toAdmins } of [bySignal, byUpdate]) {
      await eventually('a second refusal told to the admins', async () =>
        (await toAdmins()) === 2 ? true : undefined,
      );
    }
    const shown = async (h: WorkflowHandle<typeof onboardUser>) => {
      const { step, remindersSent, linksSent, mailRefused } = await h.query(statusQuery);
      return {
        step,
        remindersSent,
        linksSent,
        mailRefused: mailRefused?.replace(/\S+@refused\.invalid/, 'X'),
      };
    };
    assert.deepEqual(await shown(bySignal.handle), await shown(byUpdate.handle));
    for (const { handle } of [bySignal, byUpdate]) await handle.terminate('test over');
  });

  test('decide-reset as an Update: the same state as the signal, refused once decided', async () => {
    const waitingReset = async () => {
      const email = `${uniqueName('reset-upd')}@example.org`;
      await createKeystoneUser(config, { name: email, password: `Pw-${uniqueName('x')}` });
      const input: ResetPasswordInput = {
        email,
        name: 'Ann Admin',
        pin: PIN,
        approval: 'approve',
        deniedRoles: [],
        linkLifetimeMs: 3_600_000,
      };
      const handle = await client.workflow.start<typeof resetPassword>('resetPassword', {
        workflowId: resetWorkflowId(email),
        taskQueue: system.taskQueue,
        args: [input],
      });
      await eventually('the reset to wait for approval', async () =>
        (await handle.query(resetStatusQuery)).step === 'waiting-for-approval' ? true : undefined,
      );
      return handle;
    };
    const [bySignal, byUpdate] = [await waitingReset(), await waitingReset()];
    await bySignal.signal(approveResetSignal, { approved: true, by: 'admin-test' });
    const answer = await byUpdate.executeUpdate(decideResetUpdate, {
      args: [{ approved: true, by: 'admin-test' }],
    });
    assert.notEqual(answer.step, 'waiting-for-approval', 'answered once the decision took');
    const settled = (h: typeof bySignal) =>
      eventually('the reset to wait for the password', async () => {
        const s = await h.query(resetStatusQuery);
        return s.step === 'waiting-for-password' ? s : undefined;
      });
    const [a, b]: ResetStatus[] = [await settled(bySignal), await settled(byUpdate)];
    assert.deepEqual(a, b);
    const again = await byUpdate
      .executeUpdate(decideResetUpdate, { args: [{ approved: false, by: 'other' }] })
      .then(
        () => assert.fail('a second decision was accepted'),
        (e: unknown) => e,
      );
    assert.ok(again instanceof WorkflowUpdateFailedError);
    assert.match(again.cause?.message ?? '', /already approved by admin-test/);
    assert.deepEqual(await byUpdate.query(resetStatusQuery), b, 'the refusal changed nothing');
    for (const handle of [bySignal, byUpdate]) await handle.terminate('test over');
  });
});
