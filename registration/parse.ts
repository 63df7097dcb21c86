// Turns a registration given as JSON or as a CSV row (with the access sheet's headers) into a
// validated Registration. Pure: every problem names the field and what would fix it.
import { DEFAULT_ACCESS_COLUMNS } from '../shared/sheet-columns';
import {
  DESCRIPTION_RULE,
  EMAIL_RULE,
  isDescription,
  isEmail,
  isName,
  isPin,
  NAME_RULE,
  PIN_RULE,
  PROJECT_NAME,
} from '../shared/text-rules';
import type { Registration } from '../shared/onboarding';

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
  const email = text('email');
  const firstName = text('firstName');
  const lastName = text('lastName');
  const project = text('project');
  const projectDescription = text('projectDescription');
  const pin = text('pin');

  if (!isEmail(email))
    problems.push(
      `email ${JSON.stringify(email.slice(0, 80))} is not an e-mail address: ${EMAIL_RULE}`,
    );
  if (!firstName) problems.push('firstName is required');
  if (!lastName) problems.push('lastName is required');
  for (const [field, value] of [
    ['firstName', firstName],
    ['lastName', lastName],
  ] as const) {
    if (!isName(value)) problems.push(`${field} must be ${NAME_RULE}`);
  }
  if (!PROJECT_NAME.test(project)) {
    problems.push(
      `project ${JSON.stringify(project.slice(0, 80))} is not a valid project name: 1-64 characters, letters, digits, space, dot, dash or underscore, starting with a letter or digit`,
    );
  }
  if (!isDescription(projectDescription))
    problems.push(`projectDescription must be ${DESCRIPTION_RULE}`);
  if (!isPin(pin)) problems.push(`pin must be ${PIN_RULE} (the PIN the person chose on the form)`);
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
export const CSV_HEADERS = {
  email: DEFAULT_ACCESS_COLUMNS.email,
  firstName: DEFAULT_ACCESS_COLUMNS.firstName,
  lastName: DEFAULT_ACCESS_COLUMNS.lastName,
  project: DEFAULT_ACCESS_COLUMNS.newProjectName,
  projectDescription: DEFAULT_ACCESS_COLUMNS.projectDescription,
  pin: DEFAULT_ACCESS_COLUMNS.pin,
} as const;

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
