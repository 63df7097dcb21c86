// The .xlsx request sheets the recording's worker reads, for pollRegistrations and checkRequests.
import { join } from 'node:path';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { DEFAULT_ACCESS_COLUMNS, DEFAULT_QUOTA_COLUMNS } from '../../shared/sheet-columns';
import { uniqueName } from '../../test/support/services';
import type { RequestSheets } from './context';

/** The rows pollRegistrations and checkRequests read, as .xlsx files the worker is given. */
export async function writeRequestSheets(dir: string): Promise<RequestSheets> {
  const emails = {
    approved: `${uniqueName('replay-row-approved')}@example.org`,
    invalid: `${uniqueName('replay-row-invalid')}@example.org`,
    waiting: `${uniqueName('replay-row-waiting')}@example.org`,
  };
  const header = ACCESS_FIELDS.map((f) => DEFAULT_ACCESS_COLUMNS[f]);
  const row = (fields: Partial<Record<(typeof ACCESS_FIELDS)[number], string>>) =>
    ACCESS_FIELDS.map((f) => fields[f] ?? '');
  const common = { firstName: 'Replay', lastName: 'Row', existingAccount: 'No', pin: '4711' };
  const now = new Date().toISOString();
  const accessFile = join(dir, 'registrations.xlsx');
  await createSpreadsheet(accessFile, {
    'Form Responses 1': [
      header,
      row({
        ...common,
        approved: 'approved',
        timestamp: now,
        email: emails.approved,
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
      // A three-digit PIN: the admins hear of the row, nothing starts.
      row({
        ...common,
        approved: 'approved',
        timestamp: now,
        email: emails.invalid,
        pin: '471',
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
      row({
        ...common,
        timestamp: new Date(Date.now() - 86_400_000).toISOString(),
        email: emails.waiting,
        newProjectName: `Proj-${uniqueName('row')}`,
      }),
    ],
    'Current Users': [header],
  });
  const quotaHeader = QUOTA_FIELDS.map((f) => DEFAULT_QUOTA_COLUMNS[f]);
  const quotaFile = join(dir, 'quotas.xlsx');
  await createSpreadsheet(quotaFile, {
    'Form Responses 1': [quotaHeader],
    'Processed Requests': [quotaHeader],
  });
  let pollDone: (outcome: unknown) => void = () => undefined;
  const polled = new Promise<unknown>((resolve) => (pollDone = resolve));
  return {
    accessFile,
    quotaFile,
    helpdesk: `${uniqueName('replay-helpdesk')}@example.org`,
    approvers: `${uniqueName('replay-approvers')}@example.org`,
    emails,
    polled,
    pollDone,
  };
}

/** The columns a form writes; Status, Notified and Reminder Sent are the system's. */
export const ACCESS_FIELDS = (
  Object.keys(DEFAULT_ACCESS_COLUMNS) as (keyof typeof DEFAULT_ACCESS_COLUMNS)[]
).filter((f) => f !== 'status');
export const QUOTA_FIELDS = (
  Object.keys(DEFAULT_QUOTA_COLUMNS) as (keyof typeof DEFAULT_QUOTA_COLUMNS)[]
).filter((f) => !['status', 'notified', 'reminderSent'].includes(f));
