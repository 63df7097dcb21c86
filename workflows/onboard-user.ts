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
const { ensureProject, ensureUser, grantMemberRole, issueSetpassToken, sendMail } =
  proxyActivities<OnboardingActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

export async function onboardUser({
  registration,
  reminders,
}: OnboardUserInput): Promise<OnboardUserResult> {
  const { workflowId } = workflowInfo();
  const fullName = `${registration.firstName} ${registration.lastName}`.trim();
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

  try {
    setStep('ensuring-project');
    const project = await ensureProject({
      name: registration.project,
      description: registration.projectDescription,
    });
    status.projectId = project.id;

    setStep('ensuring-user');
    const user = await ensureUser({
      email: registration.email,
      fullName,
      defaultProjectId: project.id,
    });
    status.userId = user.id;

    setStep('granting-role');
    await grantMemberRole({ userId: user.id, projectId: project.id });

    setStep('issuing-setpass-token');
    const { token } = await issueSetpassToken({
      userId: user.id,
      pin: registration.pin,
      workflowId,
    });

    setStep('sending-mail');
    const mail = { to: registration.email, fullName, project: registration.project };
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
        return {
          outcome: 'abandoned',
          userId: user.id,
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

    setStep('completed');
    return {
      outcome: 'completed',
      userId: user.id,
      projectId: project.id,
      remindersSent: status.remindersSent,
    };
  } catch (err) {
    const failedAt = status.step;
    setStep('failed');
    if (err instanceof ApplicationFailure) throw err;
    // Wrap so the workflow fails (a plain Error would only retry the workflow task).
    throw ApplicationFailure.create({
      message: `onboarding of ${registration.email} failed at ${failedAt}: ${(err as Error).message}`,
      type: 'OnboardingFailed',
      nonRetryable: true,
      cause: err as Error,
    });
  }
}
