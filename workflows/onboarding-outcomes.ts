// How an onboarding ends and who hears of it: the person's mails (a refused address waits for an
// admin), completed, abandoned or cancelled, failed. Each end marks the sheet row, if there is
// one, and tells the admins of anything a person must look at.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { SERVICE_CALL, SHEET_WRITE } from '../shared/activity-policies';
import type { OnboardingActivities, SendMailInput } from '../shared/activity-contracts';
import { FailureType } from '../shared/failures';
import type { TemplateName } from '../shared/mail-templates';
import type { OnboardingStatus, OnboardUserResult, Registration } from '../shared/onboarding';
import { REVOKE_ON_END_PATCH } from './onboarding-patches';
import type { Progress } from './onboarding-progress';
import { withRefusalWait, type AdminActions } from './password-wait';

const { sendMail, revokeSetpassLink } = proxyActivities<OnboardingActivities>(SERVICE_CALL);
const { markRequest, moveToCurrentUsers } = proxyActivities<OnboardingActivities>(SHEET_WRITE);

export interface Outcomes {
  /** A mail to the person: an address refused for good waits for an admin's decision. */
  mailPerson(input: SendMailInput): Promise<void>;
  /** Completed: the row moves to "Current Users". */
  completed(result: OnboardUserResult): Promise<OnboardUserResult>;
  /** Ended without a password: abandoned or cancelled, the row and the admins told. */
  endedWaiting(outcome: 'abandoned' | 'cancelled'): Promise<OnboardUserResult>;
  /** Failed at the current step: the row says why, the admins hear of it; throws to fail. */
  failed(err: unknown): Promise<never>;
}

export function onboardingOutcomes(
  registration: Registration,
  { workflowId, fullName }: { workflowId: string; fullName: string },
  { status, setStep, publish: progressShown }: Progress,
  actions: AdminActions,
): Outcomes {
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
  // Refusals of all the person's mails, counted together: each notice has its own Message-ID.
  let refusedMails = 0;

  return {
    mailPerson: (input) =>
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
      }),

    async completed(result) {
      if (registration.sheetKey) await moveToCurrentUsers({ key: registration.sheetKey });
      status.nextReminderAt = undefined;
      setStep('completed');
      await condition(allHandlersFinished);
      return result;
    },

    async endedWaiting(outcome) {
      const reason =
        outcome === 'abandoned'
          ? `abandoned: no password set after ${status.remindersSent} reminders`
          : `cancelled by ${actions.cancel?.by ?? 'an admin'}: ${actions.cancel?.reason ?? ''}`;
      if (outcome === 'cancelled') status.cancelled = reason.replace(/^cancelled /, '');
      status.nextReminderAt = undefined;
      const revokes = patched(REVOKE_ON_END_PATCH);
      // Histories from before the patch answered a cancel as soon as the step changed.
      if (!revokes) status.endNote = 'link not revoked (an onboarding started before revocation)';
      setStep(outcome);
      log.warn(`onboarding ${outcome}`, { user: registration.email });
      let rowStatus = reason;
      if (revokes) {
        const link =
          status.userId === undefined || registration.existingUser
            ? 'no link was issued'
            : (await revokeSetpassLink({ userId: status.userId, workflowId })).revoked
              ? 'link revoked'
              : 'no live link left to revoke';
        const note = [keptNote(registration, status), link];
        rowStatus = `${reason} (${note.join('; ')})`;
        if (registration.sheetKey) note.push(`row marked ${outcome}`);
        status.endNote = note.join('; ');
      }
      if (registration.sheetKey)
        await markRequest({ key: registration.sheetKey, status: rowStatus });
      progressShown();
      if (outcome === 'abandoned') await adminMail('abandoned', reason, `${workflowId}.abandoned`);
      await condition(allHandlersFinished);
      return {
        outcome,
        userId: status.userId ?? '',
        projectId: status.projectId ?? '',
        remindersSent: status.remindersSent,
      };
    },

    async failed(err) {
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
        await markRequest({ key: registration.sheetKey, status: `failed: ${reason}` });
        await adminMail('request-failed', reason, `${workflowId}.${workflowInfo().runId}.failed`);
      }
      // Like the other exits: an Update being answered gets its answer before the run closes.
      await condition(allHandlersFinished);
      if (err instanceof ApplicationFailure) throw err;
      // Wrapped so the workflow fails (a plain Error would only retry the workflow task).
      throw ApplicationFailure.create({
        message: `onboarding of ${registration.email} failed at ${failedAt}: ${reason}`,
        type: FailureType.onboardingFailed,
        nonRetryable: true,
        cause: err as Error,
      });
    },
  };
}

/** "project p1 and user x kept", or what of them exists: an end undoes no account and no project. */
function keptNote(registration: Registration, status: OnboardingStatus): string {
  const kept = [
    ...(status.projectId ? [`project ${registration.project}`] : []),
    ...(status.userId ? [`user ${registration.email}`] : []),
  ];
  return kept.length === 0 ? 'nothing was created' : `${kept.join(' and ')} kept`;
}
