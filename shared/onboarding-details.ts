// What an onboarding is doing, in words: the "current details" the Temporal Web UI shows on a
// workflow's page (Markdown), and the CLI prints. Pure: workflow code calls it on every change.
import type { OnboardingStatus, OnboardingStep } from './onboarding';

const STEP_WORDS: Record<OnboardingStep, string> = {
  started: 'started',
  'checking-address': 'checking that the address has no account yet',
  'ensuring-project': 'creating or finding the project',
  'setting-quotas': 'setting the quotas of the new project',
  'ensuring-user': 'creating or finding the user',
  'granting-role': 'granting the member role',
  'issuing-setpass-token': 'issuing the set-password link',
  'sending-mail': 'sending the welcome mail',
  'waiting-for-password': 'waiting for the password',
  'mail-refused': 'waiting for an admin: the mail server refused the address',
  completed: 'completed',
  abandoned: 'abandoned: no password was set in time',
  cancelled: 'cancelled',
  failed: 'failed',
};

/** `2026-12-01T10:04:05.000Z` → `2026-12-01 10:04 UTC`. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function onboardingDetails(status: OnboardingStatus, workflowId: string): string {
  const lines = [`**Step:** ${STEP_WORDS[status.step]}`];
  if (status.step === 'waiting-for-password') {
    lines.push(
      `**Why it waits:** ${status.email} has not yet set a password with the mailed link and PIN.`,
    );
  }
  if (status.step === 'mail-refused' && status.mailRefused) {
    lines.push(
      `**Why it waits:** ${status.mailRefused}. Fix the address, then \`npm run cli -- retry-mail ${workflowId}\`, or cancel it.`,
    );
  }
  if (status.failure) lines.push(`**Why it failed:** ${status.failure}`);
  if (status.cancelled) lines.push(`**Cancelled:** ${status.cancelled}`);
  if (status.endNote) lines.push(`**Undone and kept:** ${status.endNote}`);
  if (status.linksSent !== undefined) {
    lines.push(`**Reminders sent:** ${status.remindersSent}; links mailed: ${status.linksSent}`);
  }
  if (status.nextReminderAt) lines.push(`**Next reminder:** ${shortTime(status.nextReminderAt)}`);
  if (status.linkExpiresAt && !status.passwordSetAt) {
    lines.push(`**Link expires:** ${shortTime(status.linkExpiresAt)}`);
  }
  if (status.abandonAt && !status.passwordSetAt && status.step === 'waiting-for-password') {
    lines.push(`**Abandoned if no password by:** ${shortTime(status.abandonAt)}`);
  }
  if (status.passwordSetAt) lines.push(`**Password set:** ${shortTime(status.passwordSetAt)}`);
  return lines.join('\n\n');
}
