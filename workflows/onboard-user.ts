import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities';
import type { TemplateName } from '../activities/mail/render';
import {
  cancelOnboardingSignal,
  extendDeadlineSignal,
  passwordSetSignal,
  resendLinkSignal,
  type LegacyReminderPolicy,
  type ReminderPolicy,
  searchAttributes,
  statusQuery,
  type OnboardingStatus,
  type OnboardingStep,
  type OnboardUserInput,
  type OnboardUserResult,
} from '../shared/onboarding';

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
    status.step = step;
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
  };

  setHandler(statusQuery, () => status);
  setHandler(passwordSetSignal, ({ userId, at }) => {
    if (status.userId !== undefined && userId !== status.userId) {
      log.warn('passwordSet signal for another user ignored', { userId });
      return;
    }
    status.passwordSetAt = at;
  });

  // Admin actions arrive as signals; the waiting loop carries them out.
  const actions: {
    resend?: string;
    cancel?: { by: string; reason: string };
    extendMs: number;
    seen: number;
  } = { extendMs: 0, seen: 0 };
  setHandler(resendLinkSignal, ({ by }) => {
    actions.resend = by;
    actions.seen += 1;
  });
  setHandler(extendDeadlineSignal, ({ by, ms }) => {
    log.info('deadline extended', { by, ms });
    actions.extendMs += ms;
    actions.seen += 1;
  });
  setHandler(cancelOnboardingSignal, (cancel) => {
    actions.cancel = cancel;
    actions.seen += 1;
  });

  /**
   * Waits for the password: reminds at each scheduled time (with a new link once the old one has
   * expired), resends at an admin's request, and gives up at the deadline.
   */
  async function waitForPassword(
    policy: ReminderPolicy,
    mailNewLink: (template: TemplateName, messageKey: string) => Promise<void>,
    mailSameLink: (template: TemplateName, messageKey: string) => Promise<void>,
  ): Promise<'completed' | 'abandoned' | 'cancelled'> {
    const start = Date.now(); // workflow time: deterministic on replay
    let linkSentAt = start;
    let next = 0;
    status.linksSent = 1;
    const abandonAt = () => start + policy.abandonAfterMs + actions.extendMs;
    for (;;) {
      status.abandonAt = new Date(abandonAt()).toISOString();
      const reminderAt = next < policy.afterMs.length ? start + policy.afterMs[next]! : Infinity;
      const seen = actions.seen;
      const signalled = await condition(
        () => status.passwordSetAt !== undefined || actions.seen !== seen,
        Math.max(1, Math.min(reminderAt, abandonAt()) - Date.now()),
      );
      if (status.passwordSetAt !== undefined) return 'completed';
      if (actions.cancel) return 'cancelled';
      if (actions.resend) {
        log.info('link resent', { by: actions.resend });
        actions.resend = undefined;
        status.linksSent += 1;
        await mailNewLink('set-password', `${workflowId}.resend-${status.linksSent}`);
        linkSentAt = Date.now();
        continue;
      }
      if (signalled) continue; // the deadline moved: look again
      if (Date.now() >= abandonAt()) return 'abandoned';
      if (Date.now() < reminderAt) continue;
      next += 1;
      status.remindersSent += 1;
      const messageKey = `${workflowId}.reminder-${status.remindersSent}`;
      if (Date.now() >= linkSentAt + policy.linkLifetimeMs) {
        status.linksSent += 1;
        await mailNewLink('link-renewed', messageKey);
        linkSentAt = Date.now();
      } else {
        await mailSameLink('reminder', messageKey);
      }
    }
  }

  /** Onboardings started before reminder schedules existed replay this, their original loop. */
  async function legacyWaitForPassword(
    policy: LegacyReminderPolicy,
    remind: (messageKey: string) => Promise<void>,
  ): Promise<'completed' | 'abandoned'> {
    while (!(await condition(() => status.passwordSetAt !== undefined, policy.intervalMs))) {
      if (status.remindersSent >= policy.maxReminders) return 'abandoned';
      status.remindersSent += 1;
      await remind(`${workflowId}.reminder-${status.remindersSent}`);
    }
    return 'completed';
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
      await sendMail({ ...mail, template: 'new-project', messageKey: `${workflowId}.new-project` });
      result = { outcome: 'completed', userId, projectId: project.id, remindersSent: 0 };
    } else {
      if (!registration.pin) {
        throw ApplicationFailure.nonRetryable('a new user needs a PIN', 'InvalidRegistration');
      }
      const pin = registration.pin;
      setStep('issuing-setpass-token');
      let { token } = await issueSetpassToken({ userId, pin, workflowId });

      setStep('sending-mail');
      await sendMail({ ...mail, template: 'welcome', messageKey: `${workflowId}.welcome` });
      await sendMail({
        ...mail,
        template: 'set-password',
        setpassToken: token,
        messageKey: `${workflowId}.set-password`,
      });

      setStep('waiting-for-password');
      const outcome =
        'afterMs' in reminders
          ? await waitForPassword(
              reminders,
              async (template, messageKey) => {
                // A new token kills the old one: only the latest mailed link works.
                ({ token } = await issueSetpassToken({ userId, pin, workflowId }));
                await sendMail({ ...mail, template, setpassToken: token, messageKey });
              },
              (template, messageKey) =>
                sendMail({ ...mail, template, setpassToken: token, messageKey }).then(
                  () => undefined,
                ),
            )
          : await legacyWaitForPassword(reminders, (messageKey) =>
              sendMail({ ...mail, template: 'reminder', setpassToken: token, messageKey }).then(
                () => undefined,
              ),
            );
      if (outcome !== 'completed') {
        const reason =
          outcome === 'abandoned'
            ? `abandoned: no password set after ${status.remindersSent} reminders`
            : `cancelled by ${actions.cancel?.by ?? 'an admin'}: ${actions.cancel?.reason ?? ''}`;
        setStep(outcome);
        log.warn(`onboarding ${outcome}`, { user: registration.email });
        if (registration.sheetKey)
          await markRequest({ key: registration.sheetKey, status: reason });
        if (outcome === 'abandoned') {
          await sendMail({
            to: '',
            adminMail: true,
            fullName,
            username: registration.email,
            project: registration.project,
            template: 'abandoned',
            reason,
            messageKey: `${workflowId}.abandoned`,
          });
        }
        return { outcome, userId, projectId: project.id, remindersSent: status.remindersSent };
      }
      result = {
        outcome: 'completed',
        userId,
        projectId: project.id,
        remindersSent: status.remindersSent,
      };
    }
  } catch (err) {
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
      await sendMail({
        to: '',
        adminMail: true,
        fullName,
        username: registration.email,
        project: registration.project,
        template: 'request-failed',
        reason,
        messageKey: `${workflowId}.${workflowInfo().runId}.failed`,
      });
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
