// The quota sheet: one approved row asks to change the quotas of one project. Pure: parsing and
// validation only. A row is taken whole or not at all, so nothing is ever half-applied.
import type { QuotaValues } from '../shared/quota-keys';
import { cellReader, findColumns, requestKey, type Columns } from './sheet-layout';
import type { NoticeRow } from '../shared/activity-contracts';
import { noticeRowsOf } from './notices';
import { parseDataRows, rowProblems, type RowOutcome, type RowProblem } from './keyed-rows';
import { QUOTA_FIELDS as F } from './sheet-fields';
import {
  REQUESTABLE_QUOTAS,
  type QuotaColumn,
  type QuotaColumnMapping,
} from '../shared/sheet-columns';

export { REQUESTABLE_QUOTAS };

const REQUIRED: QuotaColumn[] = ['approved', 'timestamp', 'email', 'project'];
/** OpenStack stores quotas as 32-bit integers. */
export const QUOTA_MAX = 2_147_483_647;
const MB_PER_GB = 1024;

export interface QuotaRequest {
  row: number;
  key: string;
  email: string;
  firstName: string;
  lastName: string;
  project: string;
  /** New values (ram already in MB); keys absent are unchanged. */
  changes: QuotaValues;
  /** ISO time at which a temporary change reverts; absent for a permanent one. */
  endsAt?: string;
  comment: string;
}

/** One thing wrong with a row, tied to the column a person fixes (a form shows it by its field). */
export type QuotaProblem = RowProblem<QuotaColumn>;
export type QuotaRowOutcome = RowOutcome<QuotaRequest, QuotaColumn>;

export function locateQuotaColumns(
  header: string[],
  mapping: QuotaColumnMapping,
): Columns<QuotaColumn> {
  return findColumns(header, {
    sheet: 'the quota sheet',
    section: 'quota_columns',
    mapping,
    required: REQUIRED,
  });
}

export function parseQuotaSheet(
  rows: string[][],
  mapping: QuotaColumnMapping,
  now: Date,
): { columns: Columns<QuotaColumn>; rows: QuotaRowOutcome[] } {
  const columns = locateQuotaColumns(rows[0] ?? [], mapping);
  const parsed = parseDataRows(rows, (cells, row) =>
    parseQuotaRow(cells, row, columns, mapping, now),
  );
  return { columns, rows: parsed };
}

export function parseQuotaRow(
  cells: string[],
  row: number,
  columns: Columns<QuotaColumn>,
  mapping: QuotaColumnMapping,
  now: Date,
): QuotaRowOutcome {
  const cell = cellReader(cells, columns);
  if (cell('approved').toLowerCase() !== 'approved') return { kind: 'not-approved', row };
  const email = cell('email').toLowerCase();
  const key = requestKey(email, cell('timestamp'));
  const { problems, problem, named, check, outcome } = rowProblems<QuotaColumn>(mapping);

  check('email', email, F.email);
  const timestamp = cell('timestamp');
  if (!timestamp) problem('timestamp', `${named('timestamp')} is empty`);
  else check('timestamp', timestamp, F.timestamp);
  // Names only reach mails, but a mail is no place for a control character either.
  check('firstName', cell('firstName'), F.firstName);
  check('lastName', cell('lastName'), F.lastName);
  const project = cell('project');
  if (!project) problem('project', `${named('project')} is empty`);
  else check('project', project, F.project);

  const changes: QuotaValues = {};
  for (const quota of REQUESTABLE_QUOTAS) {
    const text = cell(quota);
    if (text === '') continue; // blank: unchanged
    const value = parseQuotaValue(text, quota === 'ram' ? MB_PER_GB : 1);
    if (typeof value === 'string') problem(quota, `${named(quota)} ${value}`);
    else changes[quota] = value;
  }
  if (problems.length === 0 && Object.keys(changes).length === 0)
    problem(
      REQUESTABLE_QUOTAS[0],
      `no quota value given: fill at least one of ${REQUESTABLE_QUOTAS.join(', ')}`,
    );

  const duration = cell('duration').toLowerCase();
  let endsAt: string | undefined;
  if (duration === 'temporary') {
    const end = parseEndDate(cell('endDate'));
    if (end === undefined) {
      problem(
        'endDate',
        `${named('endDate')} must be a date (2027-01-31 or 1/31/2027) for a temporary change`,
      );
    } else if (end.getTime() <= now.getTime()) {
      problem('endDate', `${named('endDate')} ${cell('endDate')} has passed: give a later date`);
    } else endsAt = end.toISOString();
  } else if (duration !== '' && duration !== 'permanent') {
    problem('duration', `${named('duration')} must be Temporary or Permanent`);
  }

  return outcome(row, key, () => ({
    row,
    key,
    email,
    firstName: cell('firstName'),
    lastName: cell('lastName'),
    project,
    changes,
    ...(endsAt ? { endsAt } : {}),
    comment: cell('comments'),
  }));
}

/** A whole number ≥ 0, or -1 for unlimited; a string says what is wrong with it. */
export function parseQuotaValue(text: string, unit: number): number | string {
  const plain = text.replace(/\s+/g, '');
  if (!/^-?\d+$/.test(plain))
    return `must be a whole number, or -1 for unlimited (got "${text.slice(0, 40)}")`;
  const value = Number(plain);
  if (value < -1) return `must not be negative, except -1 for unlimited (got ${plain})`;
  if (value === -1) return -1;
  if (value * unit > QUOTA_MAX) return `must be at most ${Math.floor(QUOTA_MAX / unit)}`;
  return value * unit;
}

/** 2027-01-31, 2027-01-31T12:00:00Z, or the US form 1/31/2027 (Google Forms' default). */
export function parseEndDate(text: string): Date | undefined {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const iso = us
    ? `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`
    : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text)
      ? text
      : undefined;
  if (iso === undefined) return undefined;
  // A date alone means the start of that day, UTC.
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return undefined;
  if (iso.length === 10 && date.toISOString().slice(0, 10) !== iso) return undefined; // 2027-02-30
  return date;
}

/** Every quota request row (approved or not) as the helpdesk and the approvers see it. */
export function quotaNoticeRows(rows: string[][], mapping: QuotaColumnMapping): NoticeRow[] {
  return noticeRowsOf(rows, locateQuotaColumns(rows[0] ?? [], mapping), (cell) => ({
    project: cell('project'),
    comment: cell('comments'),
    requestType:
      cell('duration').toLowerCase() === 'temporary'
        ? `Temporary quota change until ${cell('endDate')}`
        : 'Quota change',
    helpdeskNotified: cell('notified'),
  }));
}
