// What every request sheet's row parser shares: a row is a request, invalid (each problem tied to
// the column a person fixes), or not approved yet; blank rows are skipped.
import type { FieldRule } from './sheet-fields';

export interface RowProblem<C extends string> {
  column: C;
  message: string;
}

export type RowOutcome<R, C extends string = string> =
  | { kind: 'request'; request: R }
  | { kind: 'invalid'; row: number; key: string; reason: string; problems: RowProblem<C>[] }
  | { kind: 'not-approved'; row: number };

/** Each non-blank data row (the header is row 1), parsed with its 1-based row number. */
export function parseDataRows<O>(rows: string[][], parseRow: (cells: string[], row: number) => O) {
  const outcomes: O[] = [];
  rows.slice(1).forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    outcomes.push(parseRow(cells, i + 2));
  });
  return outcomes;
}

/** A row's problems, each naming its column as `names` does (a sheet's headers, a form's labels). */
export function rowProblems<C extends string>(names: Record<C, string>) {
  const problems: RowProblem<C>[] = [];
  const named = (column: C) => `"${names[column]}"`;
  const problem = (column: C, message: string) => problems.push({ column, message });
  return {
    problems,
    named,
    problem,
    /** Checks a value by its column's rule; false (and a problem) when it breaks it. */
    check(column: C, value: string, field: FieldRule): boolean {
      if (field.valid(value)) return true;
      problem(column, `${named(column)} ${field.fault(value)}`);
      return false;
    },
    /** The row's outcome: invalid with every problem, or the request `make` builds. */
    outcome<R>(row: number, key: string, make: () => R): RowOutcome<R, C> {
      if (problems.length === 0) return { kind: 'request', request: make() };
      const reason = problems.map((p) => p.message).join('; ');
      return { kind: 'invalid', row, key, reason, problems };
    },
  };
}
