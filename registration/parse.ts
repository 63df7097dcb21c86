// Turns a registration given as JSON or as a CSV row (with the access sheet's headers) into a
// validated Registration. Pure: every problem names the field and what would fix it.
import { DEFAULT_ACCESS_COLUMNS, type AccessColumn } from '../shared/sheet-columns';
import type { Registration } from '../shared/onboarding';
import { ACCESS_FIELDS } from '../intake/sheet-fields';

/** A registration's fields as the access sheet's columns: checked by that sheet's cell rules. */
const AS_COLUMN = {
  email: 'email',
  firstName: 'firstName',
  lastName: 'lastName',
  project: 'newProjectName',
  projectDescription: 'projectDescription',
  pin: 'pin',
} as const satisfies Record<string, AccessColumn & keyof typeof ACCESS_FIELDS>;
type Field = keyof typeof AS_COLUMN;
type Column = (typeof AS_COLUMN)[Field];

export class RegistrationError extends Error {
  constructor(public readonly problems: string[]) {
    super(`registration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RegistrationError';
  }
}

export function validateRegistration(input: Record<string, unknown>): Registration {
  const problems: string[] = [];
  const text = (field: string): string => {
    const value = input[field];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string' && typeof value !== 'number') {
      problems.push(`${field} must be text`);
      return '';
    }
    return String(value).trim();
  };
  const value = Object.fromEntries(
    Object.keys(AS_COLUMN).map((field) => [field, text(field)]),
  ) as Record<Field, string>;
  const { email, firstName, lastName, project, projectDescription, pin } = value;
  if (!firstName) problems.push('firstName is required');
  if (!lastName) problems.push('lastName is required');
  for (const [field, column] of Object.entries(AS_COLUMN) as [Field, Column][]) {
    const rule = ACCESS_FIELDS[column];
    if (!rule.valid(value[field])) problems.push(`${field} ${rule.fault(value[field])}`);
  }
  if (problems.length > 0) throw new RegistrationError(problems);
  return {
    email: email.toLowerCase(),
    firstName,
    lastName,
    project,
    pin,
    ...(projectDescription ? { projectDescription } : {}),
  };
}

/** The access sheet's column headers (the same defaults the poller uses). */
export const CSV_HEADERS = Object.fromEntries(
  Object.entries(AS_COLUMN).map(([field, column]) => [field, DEFAULT_ACCESS_COLUMNS[column]]),
) as Record<Field, string>;

/** A CSV with a header row and one registration row; columns are found by header name. */
export function registrationFromCsv(csv: string): Registration {
  const rows = parseCsv(csv).filter((row) => row.some((cell) => cell.trim() !== ''));
  if (rows.length < 2)
    throw new RegistrationError(['CSV needs a header row and one registration row']);
  const [header, row] = [rows[0]!, rows[1]!];
  const find = (name: string) =>
    header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase());
  const missing = Object.values(CSV_HEADERS).filter(
    (h) => h !== CSV_HEADERS.projectDescription && find(h) < 0,
  );
  if (missing.length > 0) {
    throw new RegistrationError([
      `CSV header lacks column(s) ${missing.map((m) => `"${m}"`).join(', ')}`,
    ]);
  }
  const record = Object.fromEntries(
    Object.entries(CSV_HEADERS).map(([field, headerName]) => {
      const index = find(headerName);
      return [field, index >= 0 ? (row[index] ?? '') : ''];
    }),
  );
  return validateRegistration(record);
}

/** RFC 4180 CSV: quoted fields, doubled quotes, commas and line breaks inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
