// What reaches a running onboarding from outside: the status query, the setpass API's
// passwordSet signal, and the admin actions as Updates (refused with a reason by their
// validators, answered once they took effect). The admin signals of older versions run the same
// validators and actions (admin-signals.ts). The waits carry the actions out.
import { condition, log, setHandler, type SignalDefinition } from '@temporalio/workflow';
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
import { signalHandler, type SignalledAction } from './admin-signals';
import type { AdminActions } from './password-wait';

type By = { by: string };
type Extension = { by: string; ms: number };
type Cancel = { by: string; reason: string };

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
  const refuse = refusals(status, registration, workflowId, actions);
  // The one implementation of each admin action: its validator and what it sets.
  const validate = {
    resend: (_input: By) => refuse.resend(),
    retryMail: (_input: By) => refuse.retryMail(),
    extend: ({ ms }: Extension) => refuse.extend(ms),
    cancel: ({ reason }: Cancel) => refuse.cancel(reason),
  };
  const apply = {
    resend: ({ by }: By) => {
      actions.resend = by;
    },
    retryMail: ({ by }: By) => {
      actions.retryMail = by;
    },
    extend: ({ by, ms }: Extension) => {
      log.info('deadline extended', { by, ms });
      actions.extendMs += ms;
    },
    cancel: (cancel: Cancel) => {
      actions.cancel = cancel;
    },
  };

  // Any admin signal wakes the password wait, refused or not, as every signal always did: the
  // wait looks again and waits on, and histories recorded that wake (a new timer).
  const onSignal = <A>(signal: SignalDefinition<[A]>, rule: SignalledAction<A>) => {
    const handle = signalHandler(signal.name, rule);
    setHandler(signal, (input: A) => {
      handle(input);
      actions.seen += 1;
    });
  };
  // In the old order: a signal sent with the start is dispatched when its handler is set.
  // Only the password wait reads resend and extend: nothing does once the onboarding ended, for
  // an existing user (no wait), or in the legacy loop. A cancel is read until the end (by the
  // steps, by a refused mail's wait in either loop). A refusal's wait clears retryMail first.
  const waitOver = () => refuse.ended() || !!registration.existingUser || !!actions.legacyWait;
  onSignal(resendLinkSignal, { validate: validate.resend, act: apply.resend, moot: waitOver });
  onSignal(retryMailSignal, {
    validate: validate.retryMail,
    act: apply.retryMail,
    moot: () => true,
  });
  onSignal(cancelOnboardingSignal, {
    validate: validate.cancel,
    act: apply.cancel,
    moot: refuse.ended,
  });
  onSignal(extendDeadlineSignal, { validate: validate.extend, act: apply.extend, moot: waitOver });

  const act = <A>(action: (input: A) => void, input: A) => {
    action(input);
    actions.seen += 1;
  };
  const answerWhen = async (done: () => boolean): Promise<OnboardingStatus> => {
    await condition(done, UPDATE_ANSWER_WITHIN_MS);
    return { ...status };
  };
  setHandler(
    resendLinkUpdate,
    (input) => {
      const before = status.linksSent ?? 0;
      act(apply.resend, input);
      return answerWhen(() => (status.linksSent ?? 0) > before || refuse.ended());
    },
    { validator: validate.resend },
  );
  setHandler(
    retryMailUpdate,
    (input) => {
      act(apply.retryMail, input);
      // Answered once the mail went out, or was refused again (the refusal wait clears retryMail).
      return answerWhen(() => status.step !== 'mail-refused' || actions.retryMail === undefined);
    },
    { validator: validate.retryMail },
  );
  setHandler(
    extendDeadlineUpdate,
    (extension) => {
      const before = status.abandonAt;
      act(apply.extend, extension);
      return answerWhen(
        () => status.abandonAt !== before || status.step !== 'waiting-for-password',
      );
    },
    { validator: validate.extend },
  );
  setHandler(
    cancelOnboardingUpdate,
    (cancel) => {
      act(apply.cancel, cancel);
      // Answered once the end's clean-up is done and said (endNote), or the onboarding ended
      // otherwise (password set, failed).
      return answerWhen(
        () => refuse.ended() && (status.step !== 'cancelled' || status.endNote !== undefined),
      );
    },
    { validator: validate.cancel },
  );
  return actions;
}
