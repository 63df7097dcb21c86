import {
  ApplicationFailure,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OnboardingActivities, SendMailInput } from '../activities';
import type { TemplateName } from '../activities/mail/render';
import {
  cancelOnboardingSignal,
  extendDeadlineSignal,
  passwordSetSignal,
  resendLinkSignal,
  retryMailSignal,
  searchAttributes,
  statusQuery,
  type OnboardingStatus,
  type OnboardingStep,
  type OnboardUserInput,
  type OnboardUserResult,
} from '../shared/onboarding';
import {
  CANCELLED,
  legacyWaitForPassword,
  waitForPassword,
  withRefusalWait,
  type AdminActions,
  type WaitContext,
} from './password-wait';

// Network trouble and 5xx are retried with backoff for as long as it takes (the point of a
// durable workflow); 4xx and validation failures are non-retryable and surface at once.
const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' };
const {
  applyQuotas,
  ensureProject,
  ensureUser,
  findExistingUser,
  grantMemberRole,
  issueSetpassToken,
  sendMail,
} = proxyActivities<OnboardingActivities>({ startToCloseTimeout: '2 minutes', retry });
// Spreadsheets are slower and rate-limited: a longer timeout, same unlimited retries.
const { markRequest, moveToCurrentUsers } = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '5 minutes',
  retry,
});

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
  const setStep = (step: OnboardingStep) => {
    if (status.step === step) return; // one search-attribute update per change
    status.step = step;
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
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
  setHandler(extendDeadlineSignal, ({ by, ms }) =>
    act(() => {
      log.info('deadline extended', { by, ms });
      actions.extendMs += ms;
    })(),
  );

  /** A mail to the person: an address refused for good waits for an admin's decision. */
  const mailPerson = (input: SendMailInput) =>
    withRefusalWait(() => sendMail(input), {
      actions,
      async onRefused(reason, refusals) {
        status.mailRefused = reason;
        setStep('mail-refused');
        await adminMail('mail-refused', reason, `${workflowId}.refused-${refusals}`);
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
    setStep(outcome);
    log.warn(`onboarding ${outcome}`, { user: registration.email });
    if (registration.sheetKey) await markRequest({ key: registration.sheetKey, status: reason });
    if (outcome === 'abandoned') await adminMail('abandoned', reason, `${workflowId}.abandoned`);
    return {
      outcome,
      userId: status.userId ?? '',
      projectId: status.projectId ?? '',
      remindersSent: status.remindersSent,
    };
  }

  let result: OnboardUserResult;
  try {
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
        throw ApplicationFailure.nonRetryable('a new user needs a PIN', 'InvalidRegistration');
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
      const outcome =
        'afterMs' in reminders
          ? await waitForPassword(reminders, context)
          : await legacyWaitForPassword(reminders, context);
      if (outcome !== 'completed') return await endWaiting(outcome);
      result = {
        outcome: 'completed',
        userId,
        projectId: project.id,
        remindersSent: status.remindersSent,
      };
    }
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === CANCELLED) return endWaiting('cancelled');
    const failedAt = status.step;
    setStep('failed');
    const reason =
      err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err);
    if (registration.sheetKey) {
      // The row says why, and the admins hear of it: nothing is skipped silently.
      await markRequest({ key: registration.sheetKey, status: `failed: ${reason}` });
      await adminMail('request-failed', reason, `${workflowId}.${workflowInfo().runId}.failed`);
    }
    if (err instanceof ApplicationFailure) throw err;
    // Wrap so the workflow fails (a plain Error would only retry the workflow task).
    throw ApplicationFailure.create({
      message: `onboarding of ${registration.email} failed at ${failedAt}: ${reason}`,
      type: 'OnboardingFailed',
      nonRetryable: true,
      cause: err as Error,
    });
  }

  if (registration.sheetKey) await moveToCurrentUsers({ key: registration.sheetKey });
  setStep('completed');
  return result;
}
