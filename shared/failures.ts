// The types of the failures workflows and activities raise: stable names a workflow can branch
// on and an admin can search for in the Web UI. Every one is here; none is a bare string.
export const FailureType = {
  // Raised by activities.
  /** Another service answered 4xx: the same request would be refused again. */
  rejected: 'RequestRejected',
  invalidRegistration: 'InvalidRegistration',
  setpassRejected: 'SetpassRejected',
  /** The mail server refused the address for good (5xx): an admin retries or cancels. */
  recipientRefused: 'RecipientRefused',
  projectNameTaken: 'ProjectNameTaken',
  projectNotFound: 'ProjectNotFound',
  userNotFound: 'UserNotFound',
  /** A new user's address names an account this onboarding did not make: never touched. */
  accountExists: 'AccountExists',
  sheetRejected: 'SheetRejected',
  /** A quota read back after setting it differs from what was set. */
  quotaNotApplied: 'QuotaNotApplied',
  // Raised by workflows.
  /** A workflow input no current code accepts (e.g. the legacy reminder shape). */
  invalidInput: 'InvalidInput',
  onboardingFailed: 'OnboardingFailed',
  /** Thrown out of a wait when an admin cancels; the onboarding ends as cancelled. */
  onboardingCancelled: 'OnboardingCancelled',
  quotaRequestFailed: 'QuotaRequestFailed',
  /** A form request failed for good after its confirmation; the admins were mailed. */
  formRequestFailed: 'FormRequestFailed',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
