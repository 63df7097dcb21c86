// The contract between the onboarding workflow and everything that talks to it
// (worker, setpass API, CLI, tests). Dependency-free apart from message definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE_DEFAULT = 'kaizen-onboarding';

/** An approved registration, as the intake (sheet, CSV, JSON) hands it over. */
export interface Registration {
  email: string;
  firstName: string;
  lastName: string;
  /** Name of the OpenStack project to create or join. */
  project: string;
  projectDescription?: string;
  /** The 4-digit PIN the person chose on the form: a secret. Absent for existing users. */
  pin?: string;
  /**
   * Instead of a PIN: the id of the /register request on which the person chose it (setpass
   * holds only its HMAC). Rows of our own form carry this; a sheet never holds their PIN.
   */
  pinRequest?: string;
  /** The person already has an account (no new user, no password link). Default false. */
  existingUser?: boolean;
  /**
   * new: the project must not exist yet (a taken name is refused); existing: it must exist;
   * find-or-create (default, the command line's): either.
   */
  projectMode?: 'new' | 'existing' | 'find-or-create';
  /** Existing users who also get the member role on the project. */
  additionalUsers?: string[];
  /** Key of the access-sheet row this came from: its row moves to "Current Users" when done. */
  sheetKey?: string;
}

export interface ReminderPolicy {
  /** When reminders go out, in ms from the first set-password mail (increasing). */
  afterMs: number[];
  /** No password this long after the first set-password mail: abandoned, the admins told. */
  abandonAfterMs: number;
  /** How long a link lives ([setpass] token_expiration): a later reminder carries a new one. */
  linkLifetimeMs: number;
}

/** The policy of onboardings started before reminder schedules (replayed on the old path). */
export interface LegacyReminderPolicy {
  intervalMs: number;
  maxReminders: number;
}

export interface OnboardUserInput {
  registration: Registration;
  reminders: ReminderPolicy | LegacyReminderPolicy;
}

export const ONBOARDING_STEPS = [
  'started',
  'checking-address',
  'ensuring-project',
  'setting-quotas',
  'ensuring-user',
  'granting-role',
  'issuing-setpass-token',
  'sending-mail',
  'waiting-for-password',
  'mail-refused',
  'completed',
  'abandoned',
  'cancelled',
  'failed',
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export interface OnboardingStatus {
  step: OnboardingStep;
  email: string;
  project: string;
  projectId?: string;
  userId?: string;
  remindersSent: number;
  /** ISO time the password was set, once it is. */
  passwordSetAt?: string;
  /** ISO time after which, with no password, the onboarding is abandoned. */
  abandonAt?: string;
  /** Links mailed so far (the first, renewals and resends). */
  linksSent?: number;
  /** Why the mail server refused the person's address, while an admin decides. */
  mailRefused?: string;
  /** ISO time the latest mailed link stops working. */
  linkExpiresAt?: string;
  /** ISO time of the next scheduled reminder, while one is to come. */
  nextReminderAt?: string;
  /** Why the onboarding failed, once it has. */
  failure?: string;
  /** Who cancelled and why, once cancelled. */
  cancelled?: string;
  /**
   * Once cancelled or abandoned: what was undone and what was kept, e.g. "project p1 and user
   * x kept; link revoked; row marked cancelled" (the cancel Update's answer says it).
   */
  endNote?: string;
}

export interface OnboardUserResult {
  outcome: 'completed' | 'abandoned' | 'cancelled';
  userId: string;
  projectId: string;
  remindersSent: number;
}

export interface PasswordSetSignal {
  userId: string;
  at: string;
}

export const passwordSetSignal = defineSignal<[PasswordSetSignal]>('passwordSet');
export const statusQuery = defineQuery<OnboardingStatus>('status');

/**
 * Admin actions as signals: what onboardings started before the Updates below accept, and what
 * they still accept (fire and forget).
 */
export const resendLinkSignal = defineSignal<[{ by: string }]>('resendLink');
export const extendDeadlineSignal = defineSignal<[{ by: string; ms: number }]>('extendDeadline');
export const retryMailSignal = defineSignal<[{ by: string }]>('retryMail');
export const cancelOnboardingSignal = defineSignal<[{ by: string; reason: string }]>('cancel');

/**
 * The same admin actions as Updates (the CLI's): a validator refuses, with the reason, what the
 * onboarding cannot do now; an accepted one answers with the status once it has taken effect
 * (or after UPDATE_ANSWER_WITHIN_MS, with the status of that moment: e.g. a mail still retrying).
 */
export const resendLinkUpdate = defineUpdate<OnboardingStatus, [{ by: string }]>('resend-link');
export const extendDeadlineUpdate = defineUpdate<OnboardingStatus, [{ by: string; ms: number }]>(
  'extend-deadline',
);
export const retryMailUpdate = defineUpdate<OnboardingStatus, [{ by: string }]>('retry-mail');
export const cancelOnboardingUpdate = defineUpdate<
  OnboardingStatus,
  [{ by: string; reason: string }]
>('cancel-onboarding');
export const UPDATE_ANSWER_WITHIN_MS = 30_000;
/** The longest extension one update grants. */
export const MAX_EXTENSION_MS = 365 * 86_400_000;

export const searchAttributes = {
  step: defineSearchAttributeKey('OnboardingStep', SearchAttributeType.KEYWORD),
  user: defineSearchAttributeKey('OnboardingUser', SearchAttributeType.KEYWORD),
  project: defineSearchAttributeKey('OnboardingProject', SearchAttributeType.KEYWORD),
  /** Reminders sent so far (for `cli list`). */
  reminders: defineSearchAttributeKey('OnboardingReminders', SearchAttributeType.INT),
  /** When the latest mailed link stops working (for `cli list`). */
  linkExpires: defineSearchAttributeKey('OnboardingLinkExpires', SearchAttributeType.DATETIME),
} as const;

/** The summary the Web UI shows for an onboarding, in words. */
export function onboardingSummary(
  registration: Pick<Registration, 'email' | 'project' | 'existingUser'>,
): string {
  const who = registration.existingUser ? ' (existing account)' : '';
  return `Onboard ${registration.email}${who} into ${registration.project}`;
}

export function resetSummary(email: string): string {
  return `Reset the password of ${email}`;
}

/** One onboarding per person and project: starting the same registration twice is a no-op. */
export function onboardingWorkflowId(
  registration: Pick<Registration, 'email' | 'project' | 'sheetKey'>,
): string {
  // A sheet row is identified by its key (email + form timestamp), so the same person can
  // register again later; a registration given by hand, by person and project.
  if (registration.sheetKey) return `onboard:${registration.sheetKey}`;
  return `onboard:${registration.email.trim().toLowerCase()}:${registration.project.trim().toLowerCase()}`;
}

/** A "forgot my password" request from the /reset form. */
export interface ResetPasswordInput {
  email: string;
  /** The name typed into the form: only shown to admins, never trusted. */
  name: string;
  /** The new PIN chosen on the form: a secret. */
  pin: string;
  approval: 'auto' | 'approve';
  deniedRoles: string[];
  /** How long the new link lives; one reminder goes out before it expires. */
  linkLifetimeMs: number;
}

export type ResetOutcome =
  'link-sent' | 'password-set' | 'no-such-account' | 'refused' | 'rejected-by-admin';

export interface ResetStatus {
  step: 'looking-up' | 'waiting-for-approval' | 'issuing-link' | 'waiting-for-password' | 'done';
  outcome?: ResetOutcome;
  /** Who approved or rejected, once someone did. */
  decidedBy?: string;
}

export const approveResetSignal = defineSignal<[{ approved: boolean; by: string }]>('approveReset');
/** The same decision as an Update: refused unless the reset waits for approval. */
export const decideResetUpdate = defineUpdate<ResetStatus, [{ approved: boolean; by: string }]>(
  'decide-reset',
);
export const resetStatusQuery = defineQuery<ResetStatus>('resetStatus');

export function resetWorkflowId(email: string): string {
  return `reset:${email.trim().toLowerCase()}`;
}
