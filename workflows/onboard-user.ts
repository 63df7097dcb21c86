import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../shared/failures';
import { SERVICE_CALL, SHEET_WRITE } from '../shared/activity-policies';
import type { OnboardingActivities, SendMailInput } from '../shared/activities';
import type { TemplateName } from '../shared/mail-templates';
import { onboardingDetails } from '../shared/onboarding-details';
import {
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  extendDeadlineSignal,
  extendDeadlineUpdate,
  passwordSetSignal,
  resendLinkSignal,
  resendLinkUpdate,
  retryMailSignal,
  retryMailUpdate,
  searchAttributes,
  statusQuery,
  UPDATE_ANSWER_WITHIN_MS,
  type OnboardingStatus,
  type OnboardingStep,
  type OnboardUserInput,
  type OnboardUserResult,
  type ReminderPolicy,
} from '../shared/onboarding';
import { refusals } from './admin-refusals';
import {
  SCHEDULES_ONLY_PATCH,
  waitByInputShape,
  waitForPassword,
  withRefusalWait,
  type AdminActions,
  type WaitContext,
} from './password-wait';

const {
  applyQuotas,
  ensureProject,
  ensureUser,
  findExistingUser,
  grantMemberRole,
  issueSetpassToken,
  sendMail,
} = proxyActivities<OnboardingActivities>(SERVICE_CALL);
const { markRequest, moveToCurrentUsers } = proxyActivities<OnboardingActivities>(SHEET_WRITE);

export async function onboardUser({
  registration,
  reminders,
}: OnboardUserInput): Promise<OnboardUserResult> {
  const { workflowId } = workflowInfo();
  const fullName =
    `${registration.firstName} ${registration.lastName}`.trim() || registration.email;
  const status: OnboardingStatus = {
    step: 'started',
    email: registration.email,
    project: registration.project,
    remindersSent: 0,
  };
  // What `cli list` reads, as last written: only changes are upserted.
  const listed: { reminders?: number; linkExpiresAt?: string } = {};
  /** Shows the status in words on the Web UI and, for `cli list`, in search attributes. */
  const publish = () => {
    setCurrentDetails(onboardingDetails(status, workflowId));
    const reminders = status.remindersSent;
    const linkExpiresAt = status.linkExpiresAt;
    if (reminders === listed.reminders && linkExpiresAt === listed.linkExpiresAt) return;
    // Onboardings started before these attributes replay without them.
    if (!patched('list-attributes')) return;
    upsertSearchAttributes([
      { key: searchAttributes.reminders, value: reminders },
      ...(linkExpiresAt
        ? [{ key: searchAttributes.linkExpires, value: new Date(linkExpiresAt) }]
        : []),
    ]);
    Object.assign(listed, { reminders, linkExpiresAt });
  };
  const setStep = (step: OnboardingStep) => {
    if (status.step === step) return; // one search-attribute update per change
    status.step = step;
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
    publish();
  };
  const adminMail = (template: TemplateName, reason: string, messageKey: string) =>
    sendMail({
      to: '',
      audience: 'admins',
      fullName,
      username: registration.email,
      project: registration.project,
      template,
      reason,
      messageKey,
    });

  setHandler(statusQuery, () => status);
  setHandler(passwordSetSignal, ({ userId, at }) => {
    if (status.userId !== undefined && userId !== status.userId) {
      log.warn('passwordSet signal for another user ignored', { userId });
      return;
    }
    status.passwordSetAt = at;
  });
  // Admin actions arrive as signals; the waits carry them out.
  const actions: AdminActions = { extendMs: 0, seen: 0 };
  const act = (apply: () => void) => () => {
    apply();
    actions.seen += 1;
  };
  setHandler(resendLinkSignal, ({ by }) => act(() => (actions.resend = by))());
  setHandler(retryMailSignal, ({ by }) => act(() => (actions.retryMail = by))());
  setHandler(cancelOnboardingSignal, (cancel) => act(() => (actions.cancel = cancel))());
  const extend = ({ by, ms }: { by: string; ms: number }) =>
    act(() => {
      log.info('deadline extended', { by, ms });
      actions.extendMs += ms;
    })();
  setHandler(extendDeadlineSignal, extend);

  // The same actions as Updates: refused with a reason, or answered once they took effect.
  const refuse = refusals(status, registration, workflowId);
  const answerWhen = async (done: () => boolean): Promise<OnboardingStatus> => {
    await condition(done, UPDATE_ANSWER_WITHIN_MS);
    return { ...status };
  };
  setHandler(
    resendLinkUpdate,
    ({ by }) => {
      const before = status.linksSent ?? 0;
      act(() => (actions.resend = by))();
      return answerWhen(() => (status.linksSent ?? 0) > before || refuse.ended());
    },
    { validator: (_input) => refuse.resend() },
  );
  setHandler(
    retryMailUpdate,
    ({ by }) => {
      act(() => (actions.retryMail = by))();
      // Answered once the mail went out, or was refused again (the refusal wait clears retryMail).
      return answerWhen(() => status.step !== 'mail-refused' || actions.retryMail === undefined);
    },
    { validator: (_input) => refuse.retryMail() },
  );
  setHandler(
    extendDeadlineUpdate,
    (extension) => {
      const before = status.abandonAt;
      extend(extension);
      return answerWhen(
        () => status.abandonAt !== before || status.step !== 'waiting-for-password',
      );
    },
    { validator: ({ ms }) => refuse.extend(ms) },
  );
  setHandler(
    cancelOnboardingUpdate,
    (cancel) => {
      act(() => (actions.cancel = cancel))();
      return answerWhen(() => refuse.ended());
    },
    { validator: ({ reason }) => refuse.cancel(reason) },
  );

  // Refusals of all the person's mails, counted together: each notice has its own Message-ID.
  let refusedMails = 0;
  /** A mail to the person: an address refused for good waits for an admin's decision. */
  const mailPerson = (input: SendMailInput) =>
    withRefusalWait(() => sendMail(input), {
      actions,
      async onRefused(reason) {
        status.mailRefused = reason;
        setStep('mail-refused');
        await adminMail('mail-refused', reason, `${workflowId}.refused-${++refusedMails}`);
      },
      onRetry() {
        status.mailRefused = undefined;
      },
    });

  /** Ends the onboarding without a password: abandoned or cancelled, the row and admins told. */
  async function endWaiting(outcome: 'abandoned' | 'cancelled'): Promise<OnboardUserResult> {
    const reason =
      outcome === 'abandoned'
        ? `abandoned: no password set after ${status.remindersSent} reminders`
        : `cancelled by ${actions.cancel?.by ?? 'an admin'}: ${actions.cancel?.reason ?? ''}`;
    if (outcome === 'cancelled') status.cancelled = reason.replace(/^cancelled /, '');
    status.nextReminderAt = undefined;
    setStep(outcome);
    log.warn(`onboarding ${outcome}`, { user: registration.email });
    if (registration.sheetKey) await markRequest({ key: registration.sheetKey, status: reason });
    if (outcome === 'abandoned') await adminMail('abandoned', reason, `${workflowId}.abandoned`);
    await condition(allHandlersFinished);
    return {
      outcome,
      userId: status.userId ?? '',
      projectId: status.projectId ?? '',
      remindersSent: status.remindersSent,
    };
  }

  // Which wait an onboarding runs is set by this patch, no longer by the shape of its input:
  // histories without the marker replay the shape switch they were written with, new
  // onboardings take a reminder schedule or are refused before anything is done.
  const schedulesOnly = patched(SCHEDULES_ONLY_PATCH);
  let result: OnboardUserResult;
  try {
    if (schedulesOnly && !('afterMs' in reminders))
      throw ApplicationFailure.nonRetryable(
        'reminders is { intervalMs, maxReminders }, a shape only onboardings started before reminder schedules had: start it with { afterMs, abandonAfterMs, linkLifetimeMs } ([reminder] schedule and abandon_after)',
        FailureType.invalidInput,
      );
    setStep('ensuring-project');
    const project = await ensureProject({
      name: registration.project,
      description: registration.projectDescription,
      mode: registration.projectMode ?? 'find-or-create',
    });
    status.projectId = project.id;
    if (project.ours) {
      setStep('setting-quotas');
      await applyQuotas({ projectId: project.id });
    }

    setStep('ensuring-user');
    const userId = registration.existingUser
      ? await findExistingUser({ email: registration.email })
      : (await ensureUser({ email: registration.email, fullName, defaultProjectId: project.id }))
          .id;
    status.userId = userId;

    setStep('granting-role');
    await grantMemberRole({ userId, projectId: project.id });
    for (const email of registration.additionalUsers ?? []) {
      await grantMemberRole({ userId: await findExistingUser({ email }), projectId: project.id });
    }

    const mail = { to: registration.email, fullName, project: registration.project };
    if (registration.existingUser) {
      // They have a password already: tell them about the project and be done.
      setStep('sending-mail');
      await mailPerson({
        ...mail,
        template: 'new-project',
        messageKey: `${workflowId}.new-project`,
      });
      result = { outcome: 'completed', userId, projectId: project.id, remindersSent: 0 };
    } else {
      if (!registration.pin) {
        throw ApplicationFailure.nonRetryable(
          'a new user needs a PIN',
          FailureType.invalidRegistration,
        );
      }
      const pin = registration.pin;
      setStep('issuing-setpass-token');
      let { token } = await issueSetpassToken({ userId, pin, workflowId });

      setStep('sending-mail');
      await mailPerson({ ...mail, template: 'welcome', messageKey: `${workflowId}.welcome` });
      await mailPerson({
        ...mail,
        template: 'set-password',
        setpassToken: token,
        messageKey: `${workflowId}.set-password`,
      });

      setStep('waiting-for-password');
      const context: WaitContext = {
        workflowId,
        status,
        actions,
        publish,
        async mailNewLink(template, messageKey) {
          // A new token kills the old one: only the latest mailed link works.
          ({ token } = await issueSetpassToken({ userId, pin, workflowId }));
          await mailPerson({ ...mail, template, setpassToken: token, messageKey });
          setStep('waiting-for-password'); // back from mail-refused, if it was
        },
        async mailSameLink(template, messageKey) {
          await mailPerson({ ...mail, template, setpassToken: token, messageKey });
          setStep('waiting-for-password');
        },
      };
      const outcome = schedulesOnly
        ? await waitForPassword(reminders as ReminderPolicy, context)
        : await waitByInputShape(reminders, context);
      if (outcome !== 'completed') return await endWaiting(outcome);
      result = {
        outcome: 'completed',
        userId,
        projectId: project.id,
        remindersSent: status.remindersSent,
      };
    }
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.onboardingCancelled)
      return endWaiting('cancelled');
    const failedAt = status.step;
    const reason =
      err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err);
    status.failure = `at ${failedAt}: ${reason}`;
    setStep('failed');
    if (registration.sheetKey) {
      // The row says why, and the admins hear of it: nothing is skipped silently.
      await markRequest({ key: registration.sheetKey, status: `failed: ${reason}` });
      await adminMail('request-failed', reason, `${workflowId}.${workflowInfo().runId}.failed`);
    }
    if (err instanceof ApplicationFailure) throw err;
    // Wrap so the workflow fails (a plain Error would only retry the workflow task).
    throw ApplicationFailure.create({
      message: `onboarding of ${registration.email} failed at ${failedAt}: ${reason}`,
      type: FailureType.onboardingFailed,
      nonRetryable: true,
      cause: err as Error,
    });
  }

  if (registration.sheetKey) await moveToCurrentUsers({ key: registration.sheetKey });
  status.nextReminderAt = undefined;
  setStep('completed');
  await condition(allHandlersFinished);
  return result;
}
