// What the tests of /register and /quota-request share: fresh request sheets, a valid form's
// fields, and the confirmation link read from the mail a person receives.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';
import { formSession, postForm, type FormAnswer } from './forms';
import { eventually, mailsTo, mailText } from './services';

export const ACCESS_TAB = 'Form Responses 1';
export const QUOTA_TAB = 'Quota Requests';

export interface RequestSheets {
  accessFile: string;
  quotaFile: string;
  access: LocalSpreadsheetSource;
  quotas: LocalSpreadsheetSource;
  /** The settings that point a system at these two files (startSystem's env). */
  env: Record<string, string>;
}

/** A new access sheet and quota sheet (.xlsx, headers only) in a temporary folder. */
export async function requestSheets(prefix: string): Promise<RequestSheets> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const accessFile = join(dir, 'registrations.xlsx');
  const quotaFile = join(dir, 'quota-requests.xlsx');
  await createSpreadsheet(accessFile, {
    [ACCESS_TAB]: [Object.values(A)],
    'Current Users': [Object.values(A)],
  });
  await createSpreadsheet(quotaFile, {
    [QUOTA_TAB]: [Object.values(Q)],
    'Processed Requests': [Object.values(Q)],
  });
  return {
    accessFile,
    quotaFile,
    access: new LocalSpreadsheetSource(accessFile),
    quotas: new LocalSpreadsheetSource(quotaFile),
    env: {
      KAIZEN_INTAKE__SOURCE: 'local',
      KAIZEN_INTAKE__LOCAL_FILE: accessFile,
      KAIZEN_QUOTA_SHEET__LOCAL_FILE: quotaFile,
      KAIZEN_QUOTA_SHEET__REQUESTS_TAB: QUOTA_TAB,
    },
  };
}

/** /register's fields for a new person asking for a new project, with the PIN twice. */
export function registerFields(
  email: string,
  project: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    firstName: 'Grace',
    lastName: 'Hopper',
    email,
    organisation: 'Harvard Computation Lab',
    role: 'Researcher',
    phone: '+1 617 555 0100',
    sponsor: 'Howard Aiken',
    existingAccount: 'No',
    newOrExisting: 'new',
    newProjectName: project,
    projectDescription: 'Compilers for the Mark I',
    existingProjectName: '',
    additionalUsers: '',
    projectContactName: 'Grace Hopper',
    projectContactEmail: email,
    comment: 'for the A-0 system',
    pin: '2468',
    pin_again: '2468',
    website: '',
    ...overrides,
  };
}

/** /quota-request's fields: a permanent change of cores and volumes, with a reason. */
export function quotaFields(
  email: string,
  project: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    firstName: 'Grace',
    lastName: 'Hopper',
    email,
    organisation: 'Harvard Computation Lab',
    project,
    duration: 'Permanent',
    endDate: '',
    cores: '32',
    volumes: '14',
    comments: 'a larger compile farm',
    website: '',
    ...overrides,
  };
}

/** Fills a form the way a browser would: open the page (CSRF cookie), then post it. */
export async function sendForm(
  pageUrl: string,
  fields: Record<string, string>,
  options: { accept?: string; from?: string } = {},
): Promise<FormAnswer> {
  const session = await formSession(pageUrl, options);
  return postForm(pageUrl, fields, session, options);
}

/** The confirmation link of the newest confirmation mail to `email`. */
export async function confirmLinkFromMail(email: string): Promise<string> {
  const mail = await eventually(`the confirmation mail to ${email}`, async () =>
    (await mailsTo(email)).find((m) => /^Confirm your request/.test(m.Subject)),
  );
  const link = /(http:\/\/\S+\/confirm\?token=[A-Za-z0-9._-]+)/.exec(await mailText(mail.ID))?.[1];
  assert.ok(link, 'the mail carries a confirmation link');
  return link;
}

/** Opens the link (GET, which changes nothing) and presses its button (POST). */
export async function confirmByLink(link: string): Promise<FormAnswer> {
  const session = await formSession(link);
  const token = new URL(link).searchParams.get('token')!;
  return postForm(new URL('confirm', link).toString(), { token }, session);
}
