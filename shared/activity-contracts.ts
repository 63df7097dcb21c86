// What the workflows may ask of their activities, and what they get back: the contract between
// workflow code (replayed, no I/O) and the activities the worker registers. The implementations
// in activities/ are checked against it where the worker builds them.
import type { FormRequest } from './request-kinds';
import type { MailContext, TemplateName } from './mail-templates';
import type { QuotaValues } from './quota-keys';

// ------------------------------------------------------------------ OpenStack

export interface EnsureProjectInput {
  name: string;
  description?: string;
  mode?: 'new' | 'existing' | 'find-or-create';
}

export interface EnsureUserInput {
  email: string;
  fullName: string;
  defaultProjectId: string;
}
export interface GrantRoleInput {
  userId: string;
  projectId: string;
}
export interface FoundUser {
  id: string;
  name: string;
  email: string;
  fullName: string;
}
export interface Ensured {
  id: string;
  created: boolean;
}

export interface EnsuredProject extends Ensured {
  /** Created by this onboarding (now or in an earlier attempt): its quotas are ours to set. */
  ours: boolean;
}

// ------------------------------------------------------------------ setpass and mail

/**
 * The PIN of a set-password link: chosen on a sheet's form (`pin`, a secret), or on our own
 * /register form (`pinRequest`, the request id: setpass holds its HMAC). Exactly one is given.
 */
export type PinSource = { pin: string; pinRequest?: never } | { pinRequest: string; pin?: never };

export type EnsureUserWithLinkInput = EnsureUserInput &
  PinSource & {
    /** Lets the setpass API signal this workflow when the password is set. */
    workflowId: string;
  };

export interface EnsuredWithLink extends Ensured {
  /** The set-password link's token: the person's secret (encrypted in history by the codec). */
  token: string;
}

export type IssueSetpassTokenInput = PinSource & {
  userId: string;
  /** Lets the setpass API signal this workflow when the password is set. */
  workflowId: string;
};

export interface SendMailInput {
  template: TemplateName;
  /** The person; ignored when an audience is set. */
  to: string;
  /** Send to a configured address instead of the person. */
  audience?: 'admins' | 'approvers' | 'helpdesk';
  /** Same as audience 'admins' (the inputs of activities scheduled before audience existed). */
  adminMail?: boolean;
  /** Further template variables (tickets, digests). */
  values?: Partial<MailContext>;
  /** Copies (e.g. every member of a project whose quotas change). */
  cc?: string[];
  fullName: string;
  /** The account's user name; defaults to `to`. */
  username?: string;
  project: string;
  /** Why the admins are told (admin mails). */
  reason?: string;
  /** Quota mails: the old -> new table, and when a temporary change ends. */
  quotaList?: string;
  endDate?: string;
  /** The setpass token for the link; encrypted in history by the payload codec. */
  setpassToken?: string;
  /** A form request's confirmation token, for its link (CONFIRM_URL); a secret like the above. */
  confirmToken?: string;
  /** Stable per message, so a send retried after a crash carries the same Message-ID. */
  messageKey: string;
}

// ------------------------------------------------------------------ request sheets

/** Columns the system writes to; each is added after the last header when a sheet lacks it. */
export type MarkColumn = 'status' | 'helpdeskNotified' | 'reminderSent';

export interface StampInput {
  column: Exclude<MarkColumn, 'status'>;
  keys: string[];
  /** ISO time of the notice (the workflow's clock, so a retry writes the same stamp). */
  at: string;
}

export interface PollReport {
  approved: number;
  started: number;
  alreadyStarted: number;
  invalid: number;
  /** Rows marked failed earlier: an admin clears their Status cell to retry. */
  waitingForAdmin: number;
  /** Rows found invalid by this poll and not before: "row N (email): reason", for the admins. */
  newlyInvalid: string[];
}

export interface NoticeRow {
  key: string;
  approved: boolean;
  timestamp: string;
  email: string;
  firstName: string;
  lastName: string;
  project: string;
  comment: string;
  /** "New account, new project", "Quota change", … */
  requestType: string;
  helpdeskNotified: string;
  reminderSent: string;
}

/** What a request sheet owes the helpdesk and the approvers now. */
export interface DueNotices {
  tickets: NoticeRow[];
  digest: NoticeRow[];
  /** Where the approvers find the sheet (its URL, or the local file). */
  sheetLink: string;
}

/** One line per request in the approvers' digest. */
export function digestLine(row: NoticeRow): string {
  const name = `${row.firstName} ${row.lastName}`.trim() || '(no name)';
  const comment = row.comment ? ` — ${row.comment.replace(/\s+/g, ' ').slice(0, 200)}` : '';
  return `  - ${row.requestType}: ${name} <${row.email}>, project ${row.project || '(none)'}${comment}`;
}

// ------------------------------------------------------------------ the activities

/** Every activity the onboarding worker registers, as workflows see them. */
export interface OnboardingActivities {
  ensureProject(input: EnsureProjectInput): Promise<EnsuredProject>;
  findProject(input: { name: string }): Promise<string>;
  projectMembers(input: { projectId: string }): Promise<string[]>;
  findExistingUser(input: { email: string }): Promise<string>;
  /** Fails (AccountExists) when the address names an account this onboarding did not make. */
  refuseForeignAccount(input: { email: string; workflowId: string }): Promise<void>;
  ensureUser(input: EnsureUserInput): Promise<Ensured>;
  findUser(input: { name: string }): Promise<FoundUser | null>;
  userRoleNames(input: { userId: string }): Promise<string[]>;
  grantMemberRole(input: GrantRoleInput): Promise<void>;
  applyQuotas(input: { projectId: string }): Promise<void>;
  setQuotas(input: { projectId: string; values: QuotaValues }): Promise<void>;
  readQuotas(input: { projectId: string; keys: string[] }): Promise<Record<string, number>>;
  issueSetpassToken(input: IssueSetpassTokenInput): Promise<{ token: string }>;
  ensureUserWithLink(input: EnsureUserWithLinkInput): Promise<EnsuredWithLink>;
  /** Kills this onboarding's set-password link, if it still has one (cancel, abandon). */
  revokeSetpassLink(input: { userId: string; workflowId: string }): Promise<{ revoked: boolean }>;
  sendMail(input: SendMailInput): Promise<{ messageId: string }>;
  markRequest(input: { key: string; status: string }): Promise<void>;
  moveToCurrentUsers(input: { key: string }): Promise<void>;
  pollAccessSheet(): Promise<PollReport>;
  pendingAccessNotices(): Promise<DueNotices>;
  stampAccessRequests(input: StampInput): Promise<void>;
  markQuotaRequest(input: { key: string; status: string }): Promise<void>;
  moveToProcessedRequests(input: { key: string }): Promise<void>;
  pendingQuotaNotices(): Promise<DueNotices>;
  stampQuotaRequests(input: StampInput): Promise<void>;
  pollQuotaSheet(): Promise<PollReport | null>;
  /** A confirmed form request's row, Approved empty; the same row again on a retry. */
  recordFormRequest(input: RecordFormRequestInput): Promise<{ key: string }>;
  /** Hands a form PIN's HMAC to setpass, under its request id. */
  keepRequestPin(input: { requestId: string; pinHash: string }): Promise<void>;
  /** Whether the user named by this address holds a role on the project of this name. */
  isProjectMember(input: { email: string; project: string }): Promise<boolean>;
}

export interface RecordFormRequestInput {
  requestId: string;
  request: FormRequest;
  /** ISO time of the confirmation (the workflow's clock): the row's timestamp. */
  at: string;
}
