// Registrations from a Google spreadsheet, through the official client library.
//
// Auth is a service-account key file. The client signs its own bearer token (a self-signed JWT
// with a `scope` claim, `useJWTAccessWithScope`) instead of trading it at Google's token
// endpoint: one fewer round trip, and a local server can verify it in tests (`rootUrl`).
//
// Errors: configuration problems (key file, sharing, unknown spreadsheet or tab, other 4xx) are
// SheetSourceErrors; 408/429/5xx and network failures are plain Errors, for the caller to retry.
// The library's own retries are off, so the caller's retry policy is the only one.
import { readFileSync } from 'node:fs';
// The Sheets API alone, from the googleapis package: its index loads every Google API (about
// 110 MB of memory and 1.6 s at start-up, in every worker); this entry, 18 MB and 0.1 s.
import { auth as googleAuth, sheets, type sheets_v4 } from 'googleapis/build/src/apis/sheets';
import { type CellUpdate, type SheetSource, SheetSourceError } from './sheet-source';

export interface GoogleSheetsSourceOptions {
  spreadsheetId: string;
  /** Path to the service account's JSON key file. */
  keyFile: string;
  /** Only for tests: where the Sheets API lives (default https://sheets.googleapis.com/). */
  rootUrl?: string;
}

const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

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

function readKey(keyFile: string): { client_email: string; private_key: string; id?: string } {
  let key: { client_email?: unknown; private_key?: unknown; private_key_id?: unknown };
  try {
    key = JSON.parse(readFileSync(keyFile, 'utf8')) as typeof key;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new SheetSourceError(
      `[intake] key_file ${keyFile}: cannot read the service-account key (${why})`,
    );
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new SheetSourceError(
      `[intake] key_file ${keyFile}: not a service-account key (no client_email or private_key)`,
    );
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    id: typeof key.private_key_id === 'string' ? key.private_key_id : undefined,
  };
}

const SAFE_TO_REPEAT = new Set(['read', 'update', 'list the tabs of']);

export class GoogleSheetsSource implements SheetSource {
  readonly clientEmail: string;
  private readonly sheets: sheets_v4.Sheets;
  private readonly spreadsheetId: string;
  private readonly keyFile: string;
  private readonly sheetIds = new Map<string, number>();

  constructor({ spreadsheetId, keyFile, rootUrl }: GoogleSheetsSourceOptions) {
    const key = readKey(keyFile);
    const auth = new googleAuth.JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.id,
      scopes: [SCOPE],
    });
    auth.useJWTAccessWithScope = true;
    this.sheets = sheets({ version: 'v4', auth, rootUrl, retry: false, timeout: 30_000 });
    this.spreadsheetId = spreadsheetId;
    this.keyFile = keyFile;
    this.clientEmail = key.client_email;
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

  /** Runs one API call and turns its failure into a SheetSourceError or a retryable Error. */
  private async call<T>(what: string, tab: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      try {
        return await fn();
      } catch (err) {
        // A kept-alive connection the server closed while idle: reading and overwriting cells
        // are safe to send again at once (appends and deletes are left to the caller's retry).
        if ((err as { code?: unknown }).code !== 'ECONNRESET' || !SAFE_TO_REPEAT.has(what)) {
          throw err;
        }
        return await fn();
      }
    } catch (err) {
      const e = err as {
        status?: unknown;
        code?: unknown;
        message?: string;
        response?: { status?: number; data?: { error?: { message?: string } } };
      };
      const status = typeof e.status === 'number' ? e.status : e.response?.status;
      const said = e.response?.data?.error?.message ?? e.message ?? String(err);
      const where = `spreadsheet ${this.spreadsheetId}${tab === undefined ? '' : `, tab "${tab}"`}`;
      const doing = `Google Sheets: cannot ${what} ${where}`;
      if (status === 401) {
        throw new SheetSourceError(
          `${doing}: the credentials of ${this.clientEmail} ([intake] key_file ${this.keyFile}) were refused: ${said}`,
        );
      }
      if (status === 403) {
        throw new SheetSourceError(
          `${doing}: access denied; share the spreadsheet with the service account ${this.clientEmail} (Editor): ${said}`,
        );
      }
      if (status === 404) {
        throw new SheetSourceError(
          `${doing}: spreadsheet ${this.spreadsheetId} not found (check its id): ${said}`,
        );
      }
      if (status === 400 && tab !== undefined && /Unable to parse range/i.test(said)) {
        // What the API answers for a tab that does not exist.
        throw new SheetSourceError(`${doing}: no tab named "${tab}" (${said})`);
      }
      if (
        typeof status === 'number' &&
        status >= 400 &&
        status < 500 &&
        ![408, 429].includes(status)
      ) {
        throw new SheetSourceError(`${doing}: HTTP ${status}: ${said}`);
      }
      const cause =
        typeof status === 'number' ? `HTTP ${status}` : String(e.code ?? 'network error');
      throw new Error(`${doing} (${cause}, retryable): ${said}`, { cause: err });
    }
  }
}
