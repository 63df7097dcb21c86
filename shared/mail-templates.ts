// The mails there are and the variables their templates may use: the contract between the
// workflows that ask for a mail and the renderer that writes it.
export const TEMPLATE_NAMES = [
  'welcome',
  'set-password',
  'reminder',
  'link-renewed',
  'abandoned',
  'mail-refused',
  'password-reset',
  'reset-refused',
  'reset-approval',
  'new-project',
  'request-failed',
  'invalid-requests',
  'quota-change',
  'quota-revert-notice',
  'quota-reverted',
  'quota-request-failed',
  'helpdesk-ticket',
  'approver-digest',
  'confirm-registration',
  'confirm-quota-request',
  'quota-request-refused',
  'new-request',
  'form-request-failed',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Variables every template may use (the original's names, plus a few of our own). */
export const MAIL_VARIABLES = [
  'FULLNAME',
  'USERNAME',
  'PROJECT',
  'SETPASS_TOKEN_URL',
  'PASSWORD_RESET_FORM_URL',
  'LOGIN_URL',
  'TERMS_URL',
  'GETTING_STARTED_URL',
  'SUPPORT_EMAIL',
  'OPERATOR_NAME',
  'TOKEN_EXPIRATION',
  'REASON',
  'QUOTA_LIST',
  'END_DATE',
  // The helpdesk ticket and the approver digest (the original's names).
  'USER_NAME',
  'FIRST_NAME',
  'LAST_NAME',
  'CSR_TYPE',
  'PRIORITY',
  'QUEUE',
  'COMMENT',
  'REQUEST_COUNT',
  'REQUEST_TYPE',
  'START',
  'REQUEST_SPREADSHEET',
  'REQUEST_DETAILS',
  // The confirmation link of a request made on our own forms, and how long it works.
  'CONFIRM_URL',
  'CONFIRM_WITHIN',
] as const;
export type MailVariable = (typeof MAIL_VARIABLES)[number];
export type MailContext = Record<MailVariable, string>;
