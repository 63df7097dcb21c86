// The checks of the /register and /quota-request forms. A form's values become a row under the
// default header and go through the sheet's own parser, so a form accepts nothing the sheet
// would refuse; the few rules only a form needs come on top. Pure.
import {
  REGISTER_FORM_COLUMNS,
  QUOTA_FORM_COLUMNS,
  type QuotaFormColumn,
  type RegisterFormColumn,
} from '../shared/form-request-contract';
import {
  DEFAULT_ACCESS_COLUMNS,
  DEFAULT_QUOTA_COLUMNS,
  type AccessColumn,
  type QuotaColumn,
} from '../shared/sheet-columns';
import {
  DESCRIPTION_MAX,
  isDescription,
  isEmail,
  isPin,
  isPlainText,
  NAME_MAX,
  PIN_DIGITS,
} from '../shared/text-rules';
import { locateColumns, parseAccessRow } from './access-rows';
import { locateQuotaColumns, parseQuotaRow, REQUESTABLE_QUOTAS } from './quota-rows';
import { cellsAt } from './sheet-layout';

/** Form field name (a logical column, or pin / pinAgain) → what is wrong with it. */
export type FieldProblems = Partial<Record<string, string>>;

const EMAIL_LABEL = 'E-mail address';

/** The labels the forms show; messages name fields by them, never by a sheet's header. */
export const REGISTER_LABELS: Record<RegisterFormColumn | 'pin' | 'pinAgain', string> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: EMAIL_LABEL,
  organisation: 'Organisation',
  role: 'Role',
  phone: 'Phone',
  sponsor: 'Sponsor',
  existingAccount: 'Do you already have an account?',
  newOrExisting: 'A new project, or an existing one?',
  newProjectName: 'New project name',
  projectDescription: 'Project description',
  existingProjectName: 'Existing project name',
  additionalUsers: 'Additional users',
  projectContactName: 'Project contact name',
  projectContactEmail: 'Project contact e-mail address',
  comment: 'Comment',
  pin: 'PIN',
  pinAgain: 'PIN, again',
};

export const QUOTA_LABELS: Record<QuotaFormColumn, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: EMAIL_LABEL,
  organisation: 'Organisation',
  project: 'Project name',
  duration: 'Permanent or temporary?',
  endDate: 'End date',
  instances: 'Instances',
  cores: 'CPU cores',
  ram: 'RAM (GB)',
  floatingip: 'Floating IPs',
  network: 'Networks',
  port: 'Ports',
  volumes: 'Volumes',
  snapshots: 'Volume snapshots',
  gigabytes: 'Volume storage (GB)',
  comments: 'Why do you need it?',
};

/** A fixed, valid form timestamp: the form's row is only parsed here, never written. */
const PLACEHOLDER_TIMESTAMP = '2000-01-01 00:00:00';
const PHONE_MAX = 40;

const ACCESS_HEADER = Object.values(DEFAULT_ACCESS_COLUMNS);
const ACCESS_AT = locateColumns(ACCESS_HEADER, DEFAULT_ACCESS_COLUMNS);
const QUOTA_HEADER = Object.values(DEFAULT_QUOTA_COLUMNS);
const QUOTA_AT = locateQuotaColumns(QUOTA_HEADER, DEFAULT_QUOTA_COLUMNS);

/** The sheet's messages name a column by the mapping: here, by the form's labels. */
const ACCESS_NAMES = { ...DEFAULT_ACCESS_COLUMNS, ...REGISTER_LABELS };
const QUOTA_NAMES = { ...DEFAULT_QUOTA_COLUMNS, ...QUOTA_LABELS };

/**
 * Collects one message per field (the first one found is the most specific), starting with the
 * address every form needs: the confirmation link goes to it.
 */
function collector(email: string) {
  const problems: FieldProblems = {};
  const add = (field: string, message: string) => {
    // The sheet's messages are phrases ("give …"); a form shows sentences.
    const text = message.charAt(0).toUpperCase() + message.slice(1);
    problems[field] ??= /[.!?]$/.test(text) ? text : `${text}.`;
  };
  if (!email)
    add(
      'email',
      `Give your ${EMAIL_LABEL}, like name@example.org: the confirmation link goes to it`,
    );
  return { problems, add };
}

/** A short free-text field: within `max`, and nothing that could not travel in a mail. */
function checkText(
  add: (field: string, message: string) => void,
  field: string,
  label: string,
  value: string,
  max: number,
) {
  if (!isPlainText(value, max))
    add(
      field,
      `${label} must be at most ${max} characters, without control or invisible characters`,
    );
}

export function registerFormProblems(
  values: Record<RegisterFormColumn, string>,
  pin: string,
  pinAgain: string,
): FieldProblems {
  const { problems, add } = collector(values.email);
  const L = REGISTER_LABELS;
  if (!['Yes', 'No'].includes(values.existingAccount))
    add('existingAccount', 'Answer Yes or No: do you already have an account?');
  if (values.newOrExisting === 'new') {
    if (!values.newProjectName) add('newProjectName', 'Give a name for the new project');
  } else if (values.newOrExisting === 'existing') {
    if (!values.existingProjectName)
      add('existingProjectName', 'Give the name of the project to join');
  } else add('newOrExisting', 'Choose a new project or an existing one');
  if (values.existingAccount === 'No') {
    // Digits only: the sheet also takes the PIN cell the system itself writes for a form.
    if (!isPin(pin))
      add(
        'pin',
        `Choose a PIN of ${PIN_DIGITS} digits: you will type it when you set your password`,
      );
    if (pin !== pinAgain)
      add('pinAgain', `The two PINs differ: type the same ${PIN_DIGITS} digits in both`);
  }
  for (const field of ['organisation', 'role', 'sponsor', 'projectContactName'] as const)
    checkText(add, field, L[field], values[field], NAME_MAX);
  checkText(add, 'phone', L.phone, values.phone, PHONE_MAX);
  checkText(add, 'comment', L.comment, values.comment, DESCRIPTION_MAX);
  if (values.projectContactEmail && !isEmail(values.projectContactEmail))
    add(
      'projectContactEmail',
      `${L.projectContactEmail} must be an address like name@example.org, or empty`,
    );

  const cells = cellsAt<AccessColumn>(ACCESS_AT, ACCESS_HEADER.length, {
    ...values,
    approved: 'approved',
    timestamp: PLACEHOLDER_TIMESTAMP,
    pin,
  });
  const outcome = parseAccessRow(cells, 2, ACCESS_AT, ACCESS_NAMES);
  if (outcome.kind === 'invalid') for (const p of outcome.problems) add(p.column, p.message);
  return problems;
}

export function quotaFormProblems(
  values: Record<QuotaFormColumn, string>,
  now: Date,
): FieldProblems {
  const { problems, add } = collector(values.email);
  const L = QUOTA_LABELS;
  if (!values.project) add('project', 'Give the name of the project that needs more quota');
  checkText(add, 'organisation', L.organisation, values.organisation, NAME_MAX);
  for (const quota of REQUESTABLE_QUOTAS) {
    // -1 (unlimited) is for the sheet's approvers, not something to ask for on a form.
    if (values[quota] !== '' && !/^\d+$/.test(values[quota]))
      add(quota, `${L[quota]} must be a whole number, 0 or more, or empty to keep it`);
  }
  if (REQUESTABLE_QUOTAS.every((quota) => values[quota] === ''))
    add(REQUESTABLE_QUOTAS[0], 'Give at least one new quota value; leave the others empty');
  if (values.duration === 'Temporary') {
    if (!values.endDate) add('endDate', 'Give the date a temporary change ends, as YYYY-MM-DD');
  } else if (values.duration === 'Permanent') {
    if (values.endDate)
      add('endDate', 'Leave the end date empty for a permanent change, or choose Temporary');
  } else add('duration', 'Choose Permanent or Temporary');
  if (!values.comments)
    add('comments', 'Say why you need more quota: it helps the approvers decide');
  else if (!isDescription(values.comments))
    add(
      'comments',
      `Your reason must be at most ${DESCRIPTION_MAX} characters, without control or invisible characters`,
    );

  const cells = cellsAt<QuotaColumn>(QUOTA_AT, QUOTA_HEADER.length, {
    ...values,
    approved: 'approved',
    timestamp: PLACEHOLDER_TIMESTAMP,
  });
  const outcome = parseQuotaRow(cells, 2, QUOTA_AT, QUOTA_NAMES, now);
  if (outcome.kind === 'invalid') for (const p of outcome.problems) add(p.column, p.message);
  return problems;
}

type RawFields = Record<string, string | undefined>;

/** Text areas: a cell refuses line breaks, and people press Enter in a box; they become spaces. */
const TEXT_AREAS = new Set<string>([
  'projectDescription',
  'additionalUsers',
  'comment',
  'comments',
]);

function pick<C extends string>(columns: readonly C[], fields: RawFields): Record<C, string> {
  return Object.fromEntries(
    columns.map((c) => {
      const value = (fields[c] ?? '').trim();
      return [c, TEXT_AREAS.has(c) ? value.replace(/\s*[\r\n\t]+\s*/g, ' ') : value];
    }),
  ) as Record<C, string>;
}

export function registerValues(fields: RawFields): Record<RegisterFormColumn, string> {
  const values = pick(REGISTER_FORM_COLUMNS, fields);
  values.email = values.email.toLowerCase();
  // Only the chosen kind of project is kept: the other field may hold an abandoned answer.
  if (values.newOrExisting === 'new') values.existingProjectName = '';
  if (values.newOrExisting === 'existing') {
    values.newProjectName = '';
    values.projectDescription = '';
  }
  return values;
}

export function quotaValues(fields: RawFields): Record<QuotaFormColumn, string> {
  const values = pick(QUOTA_FORM_COLUMNS, fields);
  values.email = values.email.toLowerCase();
  return values;
}
