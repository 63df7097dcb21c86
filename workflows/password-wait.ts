// The part of an onboarding that waits for a person: reminders on a schedule, new links once the
// old one expired, admin actions (resend, extend, cancel, retry a refused mail). Workflow code:
// deterministic, time from the workflow clock.
import { ActivityFailure, ApplicationFailure, condition, log, patched } from '@temporalio/workflow';
import { FailureType } from '../shared/failures';
import type { TemplateName } from '../shared/mail-templates';
import type { LegacyReminderPolicy, OnboardingStatus, ReminderPolicy } from '../shared/onboarding';

/** Admin actions, set by the Update and signal handlers; `seen` counts them so a wait can wake. */
export interface AdminActions {
  resend?: string;
  retryMail?: string;
  cancel?: { by: string; reason: string };
  extendMs: number;
  seen: number;
  /** Set while the loop of onboardings older than reminder schedules waits: it acts on none. */
  legacyWait?: boolean;
}

export interface WaitContext {
  workflowId: string;
  status: OnboardingStatus;
  actions: AdminActions;
  /** Shows a change of `status` (current details, search attributes). */
  publish(): void;
  /** Issues a new token (the old link dies) and mails it. */
  mailNewLink(template: TemplateName, messageKey: string): Promise<void>;
  /** Mails the current link again. */
  mailSameLink(template: TemplateName, messageKey: string): Promise<void>;
}

export type WaitOutcome = 'completed' | 'abandoned' | 'cancelled';

/**
 * Waits for the password: reminds at each scheduled time (with a new link once the old one has
 * expired), resends at an admin's request, and gives up at the deadline.
 */
export async function waitForPassword(
  policy: ReminderPolicy,
  { workflowId, status, actions, publish, mailNewLink, mailSameLink }: WaitContext,
): Promise<WaitOutcome> {
  const start = Date.now(); // workflow time: deterministic on replay
  let linkSentAt = start;
  let next = 0;
  status.linksSent = 1;
  const abandonAt = () => start + policy.abandonAfterMs + actions.extendMs;
  /** A new link went out: the count and its expiry move together, after the mail. */
  const newLinkSent = () => {
    linkSentAt = Date.now();
    status.linksSent = (status.linksSent ?? 0) + 1;
  };
  for (;;) {
    status.abandonAt = new Date(abandonAt()).toISOString();
    const reminderAt = next < policy.afterMs.length ? start + policy.afterMs[next]! : Infinity;
    status.linkExpiresAt = new Date(linkSentAt + policy.linkLifetimeMs).toISOString();
    status.nextReminderAt =
      reminderAt < abandonAt() ? new Date(reminderAt).toISOString() : undefined;
    publish();
    const seen = actions.seen;
    // A cancel or resend that came before the wait began (or while a mail went out) is acted on
    // now; onboardings that waited before this fix replay on their old path (no marker).
    const pending =
      (actions.cancel !== undefined || actions.resend !== undefined) &&
      patched('act-on-pending-admin-actions');
    const signalled =
      pending ||
      (await condition(
        () => status.passwordSetAt !== undefined || actions.seen !== seen,
        Math.max(1, Math.min(reminderAt, abandonAt()) - Date.now()),
      ));
    if (status.passwordSetAt !== undefined) return 'completed';
    if (actions.cancel) return 'cancelled';
    if (actions.resend) {
      log.info('link resent', { by: actions.resend });
      actions.resend = undefined;
      await mailNewLink('set-password', `${workflowId}.resend-${status.linksSent + 1}`);
      newLinkSent();
      continue;
    }
    if (signalled) continue; // the deadline moved: look again
    if (Date.now() >= abandonAt()) return 'abandoned';
    if (Date.now() < reminderAt) continue;
    next += 1;
    status.remindersSent += 1;
    const messageKey = `${workflowId}.reminder-${status.remindersSent}`;
    if (Date.now() >= linkSentAt + policy.linkLifetimeMs) {
      await mailNewLink('link-renewed', messageKey);
      newLinkSent();
    } else {
      await mailSameLink('reminder', messageKey);
    }
  }
}

/**
 * Onboardings recorded before this patch chose their wait by the shape of their input; with it,
 * every new onboarding runs `waitForPassword`. When no onboarding without the marker can still
 * be running, `patched` becomes `deprecatePatch` and the two functions below go.
 */
export const SCHEDULES_ONLY_PATCH = 'reminder-schedules-only';

/** The wait of onboardings recorded before SCHEDULES_ONLY_PATCH: replayed, never started. */
export function waitByInputShape(
  policy: ReminderPolicy | LegacyReminderPolicy,
  context: WaitContext,
): Promise<WaitOutcome> {
  return 'afterMs' in policy
    ? waitForPassword(policy, context)
    : legacyWaitForPassword(policy, context);
}

/** Onboardings started before reminder schedules existed replay this, their original loop. */
async function legacyWaitForPassword(
  policy: LegacyReminderPolicy,
  { workflowId, status, actions, mailSameLink }: WaitContext,
): Promise<'completed' | 'abandoned'> {
  actions.legacyWait = true; // the validators refuse what this loop would ignore
  while (!(await condition(() => status.passwordSetAt !== undefined, policy.intervalMs))) {
    if (status.remindersSent >= policy.maxReminders) return 'abandoned';
    status.remindersSent += 1;
    await mailSameLink('reminder', `${workflowId}.reminder-${status.remindersSent}`);
  }
  return 'completed';
}

export function isRecipientRefused(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === FailureType.recipientRefused
  );
}

/**
 * Sends a mail to the person. When the mail server refuses the address for good, the admins are
 * told and the onboarding waits (step mail-refused) until an admin retries or cancels.
 */
export async function withRefusalWait(
  send: () => Promise<unknown>,
  ctx: {
    actions: AdminActions;
    onRefused(reason: string): Promise<void>;
    onRetry(): void;
  },
): Promise<void> {
  for (;;) {
    try {
      await send();
      return;
    } catch (err) {
      if (!isRecipientRefused(err)) throw err;
      const reason = (err as ActivityFailure).cause?.message ?? 'refused';
      ctx.actions.retryMail = undefined;
      await ctx.onRefused(reason);
      await condition(
        () => ctx.actions.retryMail !== undefined || ctx.actions.cancel !== undefined,
      );
      if (ctx.actions.cancel)
        throw ApplicationFailure.nonRetryable(
          'cancelled by an admin',
          FailureType.onboardingCancelled,
        );
      log.info('refused mail retried', { by: ctx.actions.retryMail });
      ctx.onRetry();
    }
  }
}
