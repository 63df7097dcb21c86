// The columns of the two request sheets: logical name → the header text of the original forms
// (each configurable in [columns] and [quota_columns]).
import type { QuotaKey } from './quota-keys';

/** Logical column → header text in the sheet (the original form's headers; configurable). */
export const DEFAULT_ACCESS_COLUMNS = {
  approved: 'Approved',
  helpdeskNotified: 'Helpdesk Notified',
  reminderSent: 'Reminder Sent',
  timestamp: 'Timestamp',
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  existingAccount: 'Existing account?',
  organisation: 'Organisation',
  role: 'Role',
  phone: 'Phone',
  sponsor: 'Sponsor',
  pin: 'PIN',
  comment: 'Comment',
  newOrExisting: 'New or existing project',
  newProjectName: 'New project name',
  projectDescription: 'Project description',
  additionalUsers: 'Additional users',
  existingProjectName: 'Existing project name',
  projectContactName: 'Project contact name',
  projectContactEmail: 'Project contact email',
  status: 'Status',
} as const;
export type AccessColumn = keyof typeof DEFAULT_ACCESS_COLUMNS;
export type ColumnMapping = Record<AccessColumn, string>;

/** Logical column → header text (the original quota form's headers; configurable). */
export const DEFAULT_QUOTA_COLUMNS = {
  approved: 'Approved',
  notified: 'Notified',
  reminderSent: 'Reminder Sent',
  timestamp: 'Timestamp',
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  organisation: 'Organisation',
  project: 'Project',
  duration: 'Temporary/Permanent',
  endDate: 'End date',
  instances: 'instances',
  cores: 'cores',
  ram: 'ram',
  floatingip: 'floatingip',
  network: 'network',
  port: 'port',
  volumes: 'volumes',
  snapshots: 'snapshots',
  gigabytes: 'gigabytes',
  comments: 'Comments',
  notes: 'Notes',
  status: 'Status',
} as const;
export type QuotaColumn = keyof typeof DEFAULT_QUOTA_COLUMNS;
export type QuotaColumnMapping = Record<QuotaColumn, string>;

/** The quota columns of the form, in the order the mail lists them. */
export const REQUESTABLE_QUOTAS = [
  'instances',
  'cores',
  'ram',
  'floatingip',
  'network',
  'port',
  'volumes',
  'snapshots',
  'gigabytes',
] as const satisfies readonly (QuotaColumn & QuotaKey)[];
