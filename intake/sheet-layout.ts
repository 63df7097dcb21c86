// Columns of a request sheet are found by their header text, never by position: people insert,
// move and rename columns. Shared by the access sheet and the quota sheet.

export class SheetLayoutError extends Error {}

export interface SheetLayout<C extends string> {
  /** How errors name the sheet, e.g. "the access sheet". */
  sheet: string;
  /** The settings section an operator changes to match their headers, e.g. "columns". */
  section: string;
  /** Logical column → header text. */
  mapping: Record<C, string>;
  /** Columns without which no row can be understood. */
  required: readonly C[];
}

/** 1-based column of each logical column present in the header. */
export type Columns<C extends string> = Partial<Record<C, number>>;

/** Finds each logical column by its header text (case and surrounding blanks ignored). */
export function findColumns<C extends string>(
  header: string[],
  layout: SheetLayout<C>,
): Columns<C> {
  const normal = header.map((h) => h.trim().toLowerCase());
  const columns: Columns<C> = {};
  for (const [column, title] of Object.entries(layout.mapping) as [C, string][]) {
    const index = normal.indexOf(title.trim().toLowerCase());
    if (index >= 0) columns[column] = index + 1;
  }
  const missing = layout.required.filter((c) => columns[c] === undefined);
  if (missing.length > 0) {
    throw new SheetLayoutError(
      `${layout.sheet} has no column ${missing.map((c) => `"${layout.mapping[c]}"`).join(', ')}: ` +
        `add the header, or set [${layout.section}] ${missing.join(', ')} to the header your sheet uses`,
    );
  }
  return columns;
}

/** Stable identity of a request row: normalised email + form timestamp. */
export function requestKey(email: string, timestamp: string): string {
  return `${email.trim().toLowerCase()}|${timestamp.trim()}`;
}

/** Where a request's row is now: searched by key at the moment of use, never remembered. */
export function findRowByKey(
  rows: string[][],
  columns: { email?: number; timestamp?: number },
  key: string,
): number | undefined {
  const emailAt = columns.email;
  const timestampAt = columns.timestamp;
  if (emailAt === undefined || timestampAt === undefined) return undefined;
  for (let i = 1; i < rows.length; i++) {
    const cells = rows[i]!;
    if (requestKey(cells[emailAt - 1] ?? '', cells[timestampAt - 1] ?? '') === key) return i + 1;
  }
  return undefined;
}

/** A row of `width` cells holding each value in the column `columns` places it ('' elsewhere). */
export function cellsAt<C extends string>(
  columns: Columns<C>,
  width: number,
  values: Partial<Record<C, string>>,
): string[] {
  const cells: string[] = Array.from({ length: width }, () => '');
  for (const [column, value] of Object.entries(values) as [C, string][]) {
    const index = columns[column];
    if (index !== undefined) cells[index - 1] = value;
  }
  return cells;
}

/** The trimmed text of a logical column in one row ('' when the column or cell is absent). */
export function cellReader<C extends string>(cells: string[], columns: Columns<C>) {
  return (column: C): string => {
    const index = columns[column];
    return index === undefined ? '' : (cells[index - 1] ?? '').trim();
  };
}
