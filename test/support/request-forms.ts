// What the tests of /register and /quota-request share: a valid form's fields, and the
// confirmation link read from the mail a person receives.
import assert from 'node:assert/strict';
import { formSession, postForm, type FormAnswer } from './forms';
import { eventually, mailsTo, mailText } from './services';

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
