// The validators of the admin Updates: each throws, with a reason an admin can act on, when the
// onboarding cannot do what was asked right now. Refused updates leave no trace in history.
import { shortTime } from '../shared/onboarding-details';
import type { AdminActions } from './password-wait';
import {
  MAX_EXTENSION_MS,
  type OnboardingStatus,
  type OnboardingStep,
  type Registration,
} from '../shared/onboarding';

const ENDED: readonly OnboardingStep[] = ['completed', 'abandoned', 'cancelled', 'failed'];

function refuse(reason: string | undefined): void {
  if (reason !== undefined) throw new Error(reason);
}

export function refusals(
  status: OnboardingStatus,
  registration: Pick<Registration, 'email' | 'existingUser'>,
  workflowId: string,
  actions: Pick<AdminActions, 'legacyWait'> = {},
) {
  const ended = () => ENDED.includes(status.step);
  /** Why no password is awaited, if none is; or why this wait cannot act on an admin's action. */
  const notAwaiting = (): string | undefined => {
    if (status.passwordSetAt)
      return `no password is awaited: ${status.email} set it at ${shortTime(status.passwordSetAt)}`;
    if (ended()) return `no password is awaited: the onboarding is ${status.step}`;
    if (registration.existingUser)
      return `no password is awaited: ${registration.email} already has an account`;
    return undefined;
  };
  /** The loop of onboardings older than reminder schedules would accept and ignore the action. */
  const legacy = () =>
    actions.legacyWait
      ? `this onboarding started before reminder schedules: its wait cannot resend, extend or cancel; it ends by itself after its last reminder, or terminate it (temporal workflow terminate --workflow-id ${workflowId})`
      : undefined;
  return {
    ended,
    resend(): void {
      refuse(notAwaiting());
      refuse(legacy());
      if (status.step === 'mail-refused')
        refuse(
          `the mail server refuses ${status.email}: fix the address and retry-mail ${workflowId}, or cancel`,
        );
      if (status.step !== 'waiting-for-password')
        refuse(`no link has been mailed yet: the onboarding is at step ${status.step}`);
    },
    retryMail(): void {
      if (status.step !== 'mail-refused')
        refuse(`no refused mail to retry: the onboarding is at step ${status.step}`);
    },
    extend(ms: number): void {
      if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_EXTENSION_MS)
        refuse(`an extension must be a duration between 1 s and 365 d, not ${ms} ms`);
      refuse(notAwaiting());
      refuse(legacy());
    },
    cancel(reason: string): void {
      if (reason.trim() === '') refuse('give a reason: it is written into the sheet row');
      // An existing user's onboarding awaits no password, but its steps and a refused mail's
      // wait still take a cancel: only the end and a set password are past stopping.
      if (status.passwordSetAt || ended()) refuse(notAwaiting());
      // A refused mail's wait takes a cancel, in the old loop too.
      if (status.step !== 'mail-refused') refuse(legacy());
    },
  };
}
