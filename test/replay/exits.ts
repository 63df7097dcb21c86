// Every exit of every workflow that the replay suite must hold a recorded history of. The
// recorder (scripts/record-histories.ts) drives each one; replay.test.ts fails when one has no
// fixture in any folder, or when a workflow type of workflows/index.ts has no exit here.
export const EXITS = [
  'onboardUser-completed',
  'onboardUser-waiting',
  'onboardUser-link-renewed',
  'onboardUser-abandoned',
  'onboardUser-cancelled-by-signal',
  'onboardUser-existing-user',
  'onboardUser-resent-by-update',
  'onboardUser-cancelled-by-update',
  'onboardUser-mail-refused-retried',
  'onboardUser-failed-4xx',
  'onboardUser-foreign-account',
  'onboardUser-cancelled-before-steps',
  'onboardUser-resend-pending',
  'onboardUser-legacy-completed',
  'onboardUser-legacy-abandoned',
  'resetPassword-password-set',
  'resetPassword-no-such-account',
  'resetPassword-approved',
  'resetPassword-rejected',
  'resetPassword-denied-role',
  'updateQuota-completed',
  'updateQuota-temporary-reverted',
  'pollRegistrations-started',
  'checkRequests-notified',
  'registrationRequest-recorded',
  'registrationRequest-quota-recorded',
  'registrationRequest-refused',
  'registrationRequest-expired',
  'registrationRequest-failed',
] as const;

export type ExitName = (typeof EXITS)[number];

/** `onboardUser` of `onboardUser-completed`. */
export const workflowTypeOf = (name: string): string => name.slice(0, name.indexOf('-'));
