// The access sheet ("Form Responses 1"): columns found by header name, one request per row.
// Pure: parsing and validation only; every refusal says which column is wrong and how to fix it.
import { cellReader, findColumns, requestKey, type Columns } from './sheet-layout';
import { splitAddresses, isEmail } from '../shared/text-rules';
import type { NoticeRow } from '../shared/activity-contracts';
import { requestIdOfPinCell } from '../shared/form-request-contract';
import { noticeRowsOf } from './notices';
import { parseDataRows, rowProblems, type RowOutcome, type RowProblem } from './keyed-rows';
import { ACCESS_FIELDS as F } from './sheet-fields';
import {
  DEFAULT_ACCESS_COLUMNS,
  type AccessColumn,
  type ColumnMapping,
} from '../shared/sheet-columns';

export { findRowByKey, requestKey, SheetLayoutError } from './sheet-layout';

/** Columns without which no row can be understood. The status column is added when missing. */
const REQUIRED: AccessColumn[] = ['approved', 'timestamp', 'email', 'existingAccount', 'pin'];

export interface AccessRequest {
  /** Sheet row number (1-based, header = 1) when read: only a hint, rows move. */
  row: number;
  /** Stable identity of the request: normalised email + form timestamp. */
  key: string;
  email: string;
  firstName: string;
  lastName: string;
  existingUser: boolean;
  /** The new user's PIN; absent for existing users (they already have a password). */
  pin?: string;
  /**
   * Instead of pin, for a new user's row written from the /register form: its request id (the
   * PIN cell names it; setpass holds that PIN's HMAC, the PIN itself is kept nowhere).
   */
  pinRequest?: string;
  project: { mode: 'new'; name: string; description: string } | { mode: 'existing'; name: string };
  additionalUsers: string[];
  comment: string;
  helpdeskNotified: boolean;
  /** The row exactly as read, to copy to "Current Users". */
  cells: string[];
}

/** One thing wrong with a row, tied to the column a person fixes (a form shows it by its field). */
export type AccessProblem = RowProblem<AccessColumn>;
export type AccessRowOutcome = RowOutcome<AccessRequest, AccessColumn>;

export interface ParsedSheet {
  header: string[];
  /** 1-based column of each logical column that exists. */
  columns: Columns<AccessColumn>;
  rows: AccessRowOutcome[];
}

/** Finds each logical column of the access sheet by its header text. */
export function locateColumns(header: string[], mapping: ColumnMapping): Columns<AccessColumn> {
  return findColumns(header, {
    sheet: 'the access sheet',
    section: 'columns',
    mapping,
    required: REQUIRED,
  });
}

export function parseAccessSheet(
  rows: string[][],
  mapping: ColumnMapping = DEFAULT_ACCESS_COLUMNS,
): ParsedSheet {
  const header = rows[0] ?? [];
  const columns = locateColumns(header, mapping);
  const parsed = parseDataRows(rows, (cells, row) => parseAccessRow(cells, row, columns, mapping));
  return { header, columns, rows: parsed };
}

export function parseAccessRow(
  cells: string[],
  row: number,
  columns: ParsedSheet['columns'],
  mapping: ColumnMapping = DEFAULT_ACCESS_COLUMNS,
): AccessRowOutcome {
  const cell = cellReader(cells, columns);
  if (cell('approved').toLowerCase() !== 'approved') return { kind: 'not-approved', row };

  const email = cell('email').toLowerCase();
  const key = requestKey(email, cell('timestamp'));
  const { problem, named, check, outcome } = rowProblems<AccessColumn>(mapping);

  check('email', email, F.email);
  const timestamp = cell('timestamp');
  if (!timestamp) problem('timestamp', `${named('timestamp')} is empty`);
  else check('timestamp', timestamp, F.timestamp);
  const existingAnswer = cell('existingAccount').toLowerCase();
  if (!['yes', 'no'].includes(existingAnswer))
    problem('existingAccount', `${named('existingAccount')} must be Yes or No`);
  const existingUser = existingAnswer === 'yes';

  const firstName = cell('firstName');
  const lastName = cell('lastName');
  const pin = cell('pin');
  const pinRequest = requestIdOfPinCell(pin);
  if (!existingUser) {
    if (!firstName) problem('firstName', `${named('firstName')} is required for a new user`);
    if (!lastName) problem('lastName', `${named('lastName')} is required for a new user`);
    if (!pinRequest && !F.pin.valid(pin))
      problem('pin', `${named('pin')} ${F.pin.fault(pin)} for a new user`);
  }
  check('firstName', firstName, F.firstName);
  check('lastName', lastName, F.lastName);

  const newName = cell('newProjectName');
  const existingName = cell('existingProjectName');
  const description = cell('projectDescription');
  if (!newName && !existingName) {
    // Tied to the field the row's own answer points at: where the person meant to type.
    problem(
      /exist/i.test(cell('newOrExisting')) ? 'existingProjectName' : 'newProjectName',
      `give ${named('newProjectName')} (a new project) or ${named('existingProjectName')} (to join one)`,
    );
  } else if (newName) check('newProjectName', newName, F.newProjectName);
  else check('existingProjectName', existingName, F.existingProjectName);
  check('projectDescription', description, F.projectDescription);

  const additionalUsers = splitAddresses(cell('additionalUsers'));
  const badUsers = additionalUsers.filter((u) => !isEmail(u));
  if (badUsers.length > 0) {
    problem(
      'additionalUsers',
      `${named('additionalUsers')} holds invalid addresses: ${badUsers.slice(0, 3).join(', ').slice(0, 120)}`,
    );
  }

  return outcome(row, key, () => ({
    row,
    key,
    email,
    firstName,
    lastName,
    existingUser,
    ...(existingUser ? {} : pinRequest ? { pinRequest } : { pin }),
    project: newName
      ? { mode: 'new' as const, name: newName, description }
      : { mode: 'existing' as const, name: existingName },
    additionalUsers,
    comment: cell('comment'),
    helpdeskNotified: cell('helpdeskNotified') !== '',
    cells,
  }));
}

/** Every request row (approved or not) as the helpdesk and the approvers see it. */
export function accessNoticeRows(rows: string[][], mapping: ColumnMapping): NoticeRow[] {
  return noticeRowsOf(rows, locateColumns(rows[0] ?? [], mapping), (cell) => {
    const existing = cell('existingAccount').toLowerCase() === 'yes';
    const joining = !cell('newProjectName') && cell('existingProjectName') !== '';
    return {
      project: cell('newProjectName') || cell('existingProjectName'),
      comment: cell('comment'),
      requestType: `${existing ? 'Existing' : 'New'} account, ${joining ? 'existing' : 'new'} project`,
      helpdeskNotified: cell('helpdeskNotified'),
    };
  });
}
