// What reaches a running onboarding from outside: the status query, the setpass API's
// passwordSet signal, and the admin actions as signals and as Updates (refused with a reason by
// their validators, answered once they took effect). The waits carry the actions out.
import { condition, log, setHandler } from '@temporalio/workflow';
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
  statusQuery,
  UPDATE_ANSWER_WITHIN_MS,
  type OnboardingStatus,
  type Registration,
} from '../shared/onboarding';
import { refusals } from './admin-refusals';
import type { AdminActions } from './password-wait';

/** Installs every handler; returns the admin actions they set, for the waits to act on. */
export function handleRequests(
  status: OnboardingStatus,
  registration: Registration,
  workflowId: string,
): AdminActions {
  setHandler(statusQuery, () => status);
  setHandler(passwordSetSignal, ({ userId, at }) => {
    if (status.userId !== undefined && userId !== status.userId) {
      log.warn('passwordSet signal for another user ignored', { userId });
      return;
    }
    status.passwordSetAt = at;
  });

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

  const refuse = refusals(status, registration, workflowId, actions);
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
      // Answered once the end's clean-up is done and said (endNote), or the onboarding ended
      // otherwise (password set, failed).
      return answerWhen(
        () => refuse.ended() && (status.step !== 'cancelled' || status.endNote !== undefined),
      );
    },
    { validator: ({ reason }) => refuse.cancel(reason) },
  );
  return actions;
}
