// One approved registration becomes a working account: project, quotas, user, role, a set-password
// link, then a wait for the password with reminders. The steps read top to bottom here; where the
// status shows, what reaches the workflow and how it ends live beside it (onboarding-*.ts).
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../shared/failures';
import { CANCEL_STOPS_STEPS_PATCH, FOREIGN_ACCOUNT_PATCH } from './onboarding-patches';
import type { OnboardUserInput, OnboardUserResult, ReminderPolicy } from '../shared/onboarding';
import { handleRequests } from './onboarding-handlers';
import { onboardingOutcomes } from './onboarding-outcomes';
import { trackProgress } from './onboarding-progress';
import { LOCAL_STEPS_PATCH, onboardingSteps, requirePin } from './onboarding-steps';
import {
  SCHEDULES_ONLY_PATCH,
  waitByInputShape,
  waitForPassword,
  type WaitContext,
} from './password-wait';

export async function onboardUser({
  registration,
  reminders,
}: OnboardUserInput): Promise<OnboardUserResult> {
  const { workflowId } = workflowInfo();
  const fullName =
    `${registration.firstName} ${registration.lastName}`.trim() || registration.email;
  const progress = trackProgress(registration, workflowId);
  const { status, setStep } = progress;
  const actions = handleRequests(status, registration, workflowId);
  const end = onboardingOutcomes(registration, { workflowId, fullName }, progress, actions);
  // Which wait an onboarding runs is set by this patch, no longer by the shape of its input:
  // histories without the marker replay the shape switch they were written with, new
  // onboardings take a reminder schedule or are refused before anything is done.
  const schedulesOnly = patched(SCHEDULES_ONLY_PATCH);
  const {
    applyQuotas,
    ensureNewUser,
    ensureProject,
    findExistingUser,
    grantMemberRole,
    issueSetpassToken,
    refuseForeignAccount,
  } = onboardingSteps(patched(LOCAL_STEPS_PATCH));
  /** An admin's cancel stops the onboarding before its next step (recorded histories replay on). */
  const stopIfCancelled = () => {
    if (actions.cancel && patched(CANCEL_STOPS_STEPS_PATCH))
      throw ApplicationFailure.nonRetryable(
        'cancelled by an admin',
        FailureType.onboardingCancelled,
      );
  };
  let result: OnboardUserResult;
  try {
    if (schedulesOnly && !('afterMs' in reminders))
      throw ApplicationFailure.nonRetryable(
        'reminders is { intervalMs, maxReminders }, a shape only onboardings started before reminder schedules had: start it with { afterMs, abandonAfterMs, linkLifetimeMs } ([reminder] schedule and abandon_after)',
        FailureType.invalidInput,
      );
    // Someone else's account under the address is refused before anything is made: never given
    // a new password, and the row can be corrected and approved again as an existing user.
    if (!registration.existingUser && patched(FOREIGN_ACCOUNT_PATCH)) {
      setStep('checking-address');
      await refuseForeignAccount({ email: registration.email, workflowId });
    }
    stopIfCancelled();
    setStep('ensuring-project');
    const project = await ensureProject({
      name: registration.project,
      description: registration.projectDescription,
      mode: registration.projectMode ?? 'find-or-create',
    });
    status.projectId = project.id;
    stopIfCancelled();
    if (project.ours) {
      setStep('setting-quotas');
      await applyQuotas({ projectId: project.id });
      stopIfCancelled();
    }

    setStep('ensuring-user');
    const user = registration.existingUser
      ? { id: await findExistingUser({ email: registration.email }) }
      : await ensureNewUser(
          { email: registration.email, fullName, defaultProjectId: project.id },
          registration,
          workflowId,
        );
    const userId = user.id;
    status.userId = userId;
    stopIfCancelled();

    setStep('granting-role');
    await grantMemberRole({ userId, projectId: project.id });
    for (const email of registration.additionalUsers ?? []) {
      await grantMemberRole({ userId: await findExistingUser({ email }), projectId: project.id });
    }
    stopIfCancelled();

    const mail = { to: registration.email, fullName, project: registration.project };
    if (registration.existingUser) {
      // They have a password already: tell them about the project and be done.
      setStep('sending-mail');
      await end.mailPerson({
        ...mail,
        template: 'new-project',
        messageKey: `${workflowId}.new-project`,
      });
      result = { outcome: 'completed', userId, projectId: project.id, remindersSent: 0 };
    } else {
      const linkPin = requirePin(registration);
      let token = user.token;
      if (token === undefined) {
        setStep('issuing-setpass-token');
        ({ token } = await issueSetpassToken({ userId, ...linkPin, workflowId }));
        stopIfCancelled();
      }

      setStep('sending-mail');
      await end.mailPerson({ ...mail, template: 'welcome', messageKey: `${workflowId}.welcome` });
      await end.mailPerson({
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
        publish: progress.publish,
        async mailNewLink(template, messageKey) {
          // A new token kills the old one: only the latest mailed link works.
          ({ token } = await issueSetpassToken({ userId, ...linkPin, workflowId }));
          await end.mailPerson({ ...mail, template, setpassToken: token, messageKey });
          setStep('waiting-for-password'); // back from mail-refused, if it was
        },
        async mailSameLink(template, messageKey) {
          await end.mailPerson({ ...mail, template, setpassToken: token, messageKey });
          setStep('waiting-for-password');
        },
      };
      const outcome = schedulesOnly
        ? await waitForPassword(reminders as ReminderPolicy, context)
        : await waitByInputShape(reminders, context);
      if (outcome !== 'completed') return await end.endedWaiting(outcome);
      result = {
        outcome: 'completed',
        userId,
        projectId: project.id,
        remindersSent: status.remindersSent,
      };
    }
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.onboardingCancelled)
      return end.endedWaiting('cancelled');
    return end.failed(err);
  }
  return end.completed(result);
}
