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
import {
  passwordSetSignal,
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
      setStep('issuing-setpass-token');
      const { token } = await issueSetpassToken({ userId, pin: registration.pin, workflowId });

      setStep('sending-mail');
      await sendMail({ ...mail, template: 'welcome', messageKey: `${workflowId}.welcome` });
      await sendMail({
        ...mail,
        template: 'set-password',
        setpassToken: token,
        messageKey: `${workflowId}.set-password`,
      });

      setStep('waiting-for-password');
      while (!(await condition(() => status.passwordSetAt !== undefined, reminders.intervalMs))) {
        if (status.remindersSent >= reminders.maxReminders) {
          setStep('abandoned');
          log.warn('no password set after the last reminder', { user: registration.email });
          if (registration.sheetKey) {
            await markRequest({
              key: registration.sheetKey,
              status: `abandoned: no password set after ${status.remindersSent} reminders`,
            });
          }
          return {
            outcome: 'abandoned',
            userId,
            projectId: project.id,
            remindersSent: status.remindersSent,
          };
        }
        status.remindersSent += 1;
        await sendMail({
          ...mail,
          template: 'reminder',
          setpassToken: token,
          messageKey: `${workflowId}.reminder-${status.remindersSent}`,
        });
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
