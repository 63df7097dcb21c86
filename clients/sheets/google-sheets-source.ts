// Registrations from a Google spreadsheet, through the official client library: the range reads
// and writes. The client (service-account auth) and the sorting of its errors into
// configuration problems and retryable failures are in google-sheets-client.ts.
import type { sheets_v4 } from 'googleapis/build/src/apis/sheets';
import { callSheets, sheetsClient } from './google-sheets-client';
import { type CellUpdate, type SheetSource, SheetSourceError } from './sheet-source';

export interface GoogleSheetsSourceOptions {
  spreadsheetId: string;
  /** Path to the service account's JSON key file. */
  keyFile: string;
  /** Only for tests: where the Sheets API lives (default https://sheets.googleapis.com/). */
  rootUrl?: string;
}

/** 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

/** A tab name as a range: always quoted, quotes doubled ('Form Responses 1', 'Bob''s'). */
const quoted = (tab: string) => `'${tab.replace(/'/g, "''")}'`;

function positive(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new SheetSourceError(`${name} must be a whole number from 1, not ${n}`);
  }
}

export class GoogleSheetsSource implements SheetSource {
  readonly clientEmail: string;
  private readonly sheets: sheets_v4.Sheets;
  private readonly spreadsheetId: string;
  private readonly keyFile: string;
  private readonly sheetIds = new Map<string, number>();

  constructor({ spreadsheetId, keyFile, rootUrl }: GoogleSheetsSourceOptions) {
    const client = sheetsClient(keyFile, rootUrl);
    this.sheets = client.sheets;
    this.spreadsheetId = spreadsheetId;
    this.keyFile = keyFile;
    this.clientEmail = client.clientEmail;
  }

  async readRows(tab: string): Promise<string[][]> {
    const res = await this.call('read', tab, () =>
      this.sheets.spreadsheets.values.get({
        spreadsheetId: this.spreadsheetId,
        range: quoted(tab),
        valueRenderOption: 'FORMATTED_VALUE',
      }),
    );
    // The API leaves out trailing empty cells of each row (and trailing empty rows).
    const rows = (res.data.values ?? []).map((row) => row.map((v) => (v == null ? '' : String(v))));
    while (rows.length > 0 && rows[rows.length - 1]?.every((v) => v === '')) rows.pop();
    const width = rows[0]?.length ?? 0;
    return rows.map((row) =>
      row.length < width ? [...row, ...Array<string>(width - row.length).fill('')] : row,
    );
  }

  async updateCells(tab: string, row: number, column: number, values: string[]): Promise<void> {
    positive('row', row);
    positive('column', column);
    if (values.length === 0) return;
    const end = columnLetters(column + values.length - 1);
    await this.call('update', tab, () =>
      this.sheets.spreadsheets.values.update({
        spreadsheetId: this.spreadsheetId,
        range: `${quoted(tab)}!${columnLetters(column)}${row}:${end}${row}`,
        valueInputOption: 'RAW',
        requestBody: { values: [values] },
      }),
    );
  }

  async updateCellsBatch(tab: string, updates: CellUpdate[]): Promise<void> {
    const data = updates
      .filter((u) => u.values.length > 0)
      .map(({ row, column, values }) => {
        positive('row', row);
        positive('column', column);
        const end = columnLetters(column + values.length - 1);
        return {
          range: `${quoted(tab)}!${columnLetters(column)}${row}:${end}${row}`,
          values: [values],
        };
      });
    if (data.length === 0) return;
    await this.call('update', tab, () =>
      this.sheets.spreadsheets.values.batchUpdate({
        spreadsheetId: this.spreadsheetId,
        requestBody: { valueInputOption: 'RAW', data },
      }),
    );
  }

  async appendRow(tab: string, values: string[]): Promise<void> {
    await this.call('append to', tab, () =>
      this.sheets.spreadsheets.values.append({
        spreadsheetId: this.spreadsheetId,
        range: quoted(tab),
        valueInputOption: 'RAW',
        insertDataOption: 'INSERT_ROWS',
        requestBody: { values: [values] },
      }),
    );
  }

  async deleteRow(tab: string, row: number): Promise<void> {
    positive('row', row);
    const sheetId = await this.sheetId(tab);
    try {
      await this.call('delete a row of', tab, () =>
        this.sheets.spreadsheets.batchUpdate({
          spreadsheetId: this.spreadsheetId,
          requestBody: {
            requests: [
              {
                deleteDimension: {
                  range: { sheetId, dimension: 'ROWS', startIndex: row - 1, endIndex: row },
                },
              },
            ],
          },
        }),
      );
    } catch (err) {
      this.sheetIds.delete(tab); // the tab may have been deleted and re-created
      throw err;
    }
  }

  private async sheetId(tab: string): Promise<number> {
    const cached = this.sheetIds.get(tab);
    if (cached !== undefined) return cached;
    const res = await this.call('list the tabs of', undefined, () =>
      this.sheets.spreadsheets.get({
        spreadsheetId: this.spreadsheetId,
        fields: 'sheets.properties(sheetId,title)',
      }),
    );
    this.sheetIds.clear();
    for (const s of res.data.sheets ?? []) {
      const { title, sheetId } = s.properties ?? {};
      // A proto3 default may be left out of the JSON: a missing sheetId means 0.
      if (typeof title === 'string') this.sheetIds.set(title, sheetId ?? 0);
    }
    const id = this.sheetIds.get(tab);
    if (id === undefined) {
      throw new SheetSourceError(`spreadsheet ${this.spreadsheetId} has no tab named "${tab}"`);
    }
    return id;
  }

  /** One API call; callSheets sorts its failure (configuration problem or retryable). */
  private call<T>(what: string, tab: string | undefined, fn: () => Promise<T>): Promise<T> {
    const { spreadsheetId, clientEmail, keyFile } = this;
    return callSheets({ spreadsheetId, clientEmail, keyFile }, what, tab, fn);
  }
}
