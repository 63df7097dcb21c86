// Where registrations come from: a spreadsheet with tabs ("Form Responses 1", "Current Users").
// Two implementations: Google Sheets (googleapis) and a local .xlsx file. Rows and columns are
// addressed the way a person sees them in the sheet: row 1 is the header row.
export interface SheetSource {
  /** Every row of a tab, header first, cells as display strings ('' for empty); trailing empty rows dropped. */
  readRows(tab: string): Promise<string[][]>;
  /** Overwrites cells of one row: `values[0]` goes to column `column` (1-based), and so on. */
  updateCells(tab: string, row: number, column: number, values: string[]): Promise<void>;
  /** Several updateCells in one request (one file write, one API call): for many status marks. */
  updateCellsBatch(tab: string, updates: CellUpdate[]): Promise<void>;
  /** Appends one row after the last non-empty row of the tab. */
  appendRow(tab: string, values: string[]): Promise<void>;
  /** Deletes one row (1-based); the rows below move up. */
  deleteRow(tab: string, row: number): Promise<void>;
}

export interface CellUpdate {
  row: number;
  column: number;
  values: string[];
}

export class SheetSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SheetSourceError';
  }
}
