// The Sheets API client for GoogleSheetsSource, and how its failures are sorted.
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
import { SheetSourceError } from './sheet-source';

const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

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

/** A Sheets API client signed in as the service account of `keyFile`. */
export function sheetsClient(
  keyFile: string,
  rootUrl: string | undefined,
): { sheets: sheets_v4.Sheets; clientEmail: string } {
  const key = readKey(keyFile);
  const auth = new googleAuth.JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.id,
    scopes: [SCOPE],
  });
  auth.useJWTAccessWithScope = true;
  return {
    sheets: sheets({ version: 'v4', auth, rootUrl, retry: false, timeout: 30_000 }),
    clientEmail: key.client_email,
  };
}

/** Who calls: named in the error messages. */
export interface Caller {
  spreadsheetId: string;
  clientEmail: string;
  keyFile: string;
}

const SAFE_TO_REPEAT = new Set(['read', 'update', 'list the tabs of']);

/** Runs one API call and turns its failure into a SheetSourceError or a retryable Error. */
export async function callSheets<T>(
  caller: Caller,
  what: string,
  tab: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
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
    const where = `spreadsheet ${caller.spreadsheetId}${tab === undefined ? '' : `, tab "${tab}"`}`;
    const doing = `Google Sheets: cannot ${what} ${where}`;
    if (status === 401) {
      throw new SheetSourceError(
        `${doing}: the credentials of ${caller.clientEmail} ([intake] key_file ${caller.keyFile}) were refused: ${said}`,
      );
    }
    if (status === 403) {
      throw new SheetSourceError(
        `${doing}: access denied; share the spreadsheet with the service account ${caller.clientEmail} (Editor): ${said}`,
      );
    }
    if (status === 404) {
      throw new SheetSourceError(
        `${doing}: spreadsheet ${caller.spreadsheetId} not found (check its id): ${said}`,
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
    const cause = typeof status === 'number' ? `HTTP ${status}` : String(e.code ?? 'network error');
    throw new Error(`${doing} (${cause}, retryable): ${said}`, { cause: err });
  }
}
