// A local stand-in for the Google Sheets v4 REST API, so tests can run the real `googleapis`
// client offline. It serves only the calls GoogleSheetsSource makes, with Google's URL shapes,
// JSON bodies and error format, and checks every request's self-signed service-account JWT
// (RS256, `scope` claim) against the test key's public key.
//
// Behaviour copied from the real API: values.get omits trailing empty cells and trailing empty
// rows (and the `values` field when nothing is left); an unknown tab in a range is a 400
// "Unable to parse range", an unknown spreadsheet a 404, a spreadsheet not shared with the
// caller a 403, a bad or missing token a 401. Not modelled: grid limits (sheets grow without
// bound), formulas, USER_ENTERED parsing, Google's "table" detection for append (rows are
// appended after the last non-empty row of the tab).
import { type KeyObject, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

export interface FakeSheetsOptions {
  /** The one service account the server knows. */
  clientEmail: string;
  publicKey: string | KeyObject;
  /** When set, a JWT whose header names another `kid` is refused. */
  privateKeyId?: string;
}

export interface RecordedRequest {
  method: string;
  /** Raw (still percent-encoded) path, as the client sent it. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

interface Tab {
  sheetId: number;
  title: string;
  rows: string[][];
}

interface Spreadsheet {
  title: string;
  tabs: Tab[];
  /** Emails allowed to use the spreadsheet; undefined = anyone the server authenticates. */
  sharedWith?: Set<string>;
}

interface A1Range {
  tab: Tab;
  /** 1-based; undefined when the range names only the tab. */
  start?: { row: number; column: number };
  end?: { row: number; column: number };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** The sheet name as Google writes it in ranges: quoted unless it is a plain word. */
function quoteTitle(title: string): string {
  return /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
}

function trimRow(row: string[]): string[] {
  let end = row.length;
  while (end > 0 && row[end - 1] === '') end--;
  return row.slice(0, end);
}

export class FakeSheetsServer {
  /** Every request received, in order (including refused ones). */
  readonly requests: RecordedRequest[] = [];
  /** Added before every response. */
  delayMs = 0;

  private readonly spreadsheets = new Map<string, Spreadsheet>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private failures: { remaining: number; status: number } = { remaining: 0, status: 503 };
  private nextSheetId = 1000;

  constructor(private readonly options: FakeSheetsOptions) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates (or replaces) a spreadsheet; tabs keep the order given, the first gets sheetId 0. */
  addSpreadsheet(
    spreadsheetId: string,
    tabs: Record<string, string[][]>,
    options: { sharedWith?: string[]; title?: string } = {},
  ): void {
    const list = Object.entries(tabs).map(([title, rows], i) => ({
      sheetId: i === 0 ? 0 : this.nextSheetId++,
      title,
      rows: rows.map((r) => [...r]),
    }));
    this.spreadsheets.set(spreadsheetId, {
      title: options.title ?? spreadsheetId,
      tabs: list,
      sharedWith: options.sharedWith && new Set(options.sharedWith),
    });
  }

  /** A copy of a tab's cells, exactly as stored (trailing empty cells included). */
  getRows(spreadsheetId: string, tab: string): string[][] {
    return this.tab(spreadsheetId, tab).rows.map((r) => [...r]);
  }

  /** Replaces a tab's cells; creates the tab if it does not exist. */
  setRows(spreadsheetId: string, tab: string, rows: string[][]): void {
    const sheet = this.spreadsheets.get(spreadsheetId);
    if (!sheet) throw new Error(`fake sheets: no spreadsheet ${spreadsheetId}`);
    const copy = rows.map((r) => [...r]);
    const existing = sheet.tabs.find((t) => t.title === tab);
    if (existing) existing.rows = copy;
    else sheet.tabs.push({ sheetId: this.nextSheetId++, title: tab, rows: copy });
  }

  /** The next `count` requests are answered with `status` (before authentication). */
  failNext(count: number, status = 503): void {
    this.failures = { remaining: count, status };
  }

  private tab(spreadsheetId: string, title: string): Tab {
    const tab = this.spreadsheets.get(spreadsheetId)?.tabs.find((t) => t.title === title);
    if (!tab) throw new Error(`fake sheets: no tab ${title} in ${spreadsheetId}`);
    return tab;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
    };
    this.requests.push(recorded);
    let status = 200;
    let payload: unknown;
    try {
      recorded.body = text ? JSON.parse(text) : undefined;
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.failures.remaining > 0) {
        this.failures.remaining--;
        throw new HttpError(this.failures.status, 'The service is currently unavailable.');
      }
      const caller = this.authenticate(req.headers.authorization);
      payload = this.route(recorded, caller);
    } catch (err) {
      if (err instanceof HttpError) status = err.code;
      else if (err instanceof SyntaxError) status = 400;
      else status = 500;
      const message = err instanceof Error ? err.message : String(err);
      payload = { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
    }
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** Verifies the bearer JWT; returns the caller's email. */
  private authenticate(header: string | undefined): string {
    const refuse = (why: string): never => {
      throw new HttpError(
        401,
        `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. (fake: ${why})`,
      );
    };
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    if (!token) return refuse('no bearer token');
    const [h, p, s, ...rest] = token.split('.');
    if (h === undefined || p === undefined || s === undefined || rest.length > 0) {
      return refuse('not a JWT');
    }
    let head: { alg?: unknown; kid?: unknown };
    let claims: { iss?: unknown; exp?: unknown; scope?: unknown };
    try {
      head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof head;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return refuse('undecodable JWT');
    }
    if (head.alg !== 'RS256') return refuse(`alg ${String(head.alg)}`);
    const { privateKeyId, publicKey, clientEmail } = this.options;
    if (privateKeyId !== undefined && head.kid !== undefined && head.kid !== privateKeyId) {
      return refuse('unknown kid');
    }
    const signed = Buffer.from(`${h}.${p}`);
    if (!verify('sha256', signed, publicKey, Buffer.from(s, 'base64url'))) {
      return refuse('bad signature');
    }
    if (claims.iss !== clientEmail) return refuse(`unknown issuer ${String(claims.iss)}`);
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      return refuse('expired');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(SHEETS_SCOPE)) {
      throw new HttpError(403, 'Request had insufficient authentication scopes.');
    }
    return clientEmail;
  }

  private route(req: RecordedRequest, caller: string): unknown {
    const batch = /^\/v4\/spreadsheets\/([^/:]+)\/values:batchUpdate$/.exec(req.path);
    if (batch?.[1] && req.method === 'POST') {
      const sheet = this.spreadsheets.get(decodeURIComponent(batch[1]));
      if (!sheet) throw new HttpError(404, 'Requested entity was not found.');
      if (sheet.sharedWith && !sheet.sharedWith.has(caller)) {
        throw new HttpError(403, 'The caller does not have permission');
      }
      return this.batchUpdateValues(decodeURIComponent(batch[1]), sheet, req.body);
    }
    const m = /^\/v4\/spreadsheets\/([^/:]+)(?::batchUpdate|\/values\/([^/]+?)(:append)?)?$/.exec(
      req.path,
    );
    if (!m?.[1]) throw new HttpError(404, `fake sheets: no route ${req.method} ${req.path}`);
    const id = decodeURIComponent(m[1]);
    const sheet = this.spreadsheets.get(id);
    if (!sheet) throw new HttpError(404, 'Requested entity was not found.');
    if (sheet.sharedWith && !sheet.sharedWith.has(caller)) {
      throw new HttpError(403, 'The caller does not have permission');
    }
    const rangeText = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const route = `${req.method} ${
      req.path.endsWith(':batchUpdate')
        ? 'batchUpdate'
        : m[3]
          ? 'append'
          : rangeText
            ? 'values'
            : 'meta'
    }`;
    switch (route) {
      case 'GET meta':
        return this.metadata(id, sheet);
      case 'POST batchUpdate':
        return this.batchUpdate(id, sheet, req.body);
      case 'GET values':
        return this.getValues(sheet, rangeText ?? '', req.query);
      case 'PUT values':
        return this.updateValues(id, sheet, rangeText ?? '', req);
      case 'POST append':
        return this.appendValues(id, sheet, rangeText ?? '', req);
      default:
        throw new HttpError(404, `fake sheets: no route ${req.method} ${req.path}`);
    }
  }

  private parseRange(sheet: Spreadsheet, text: string): A1Range {
    let title: string;
    let rest: string;
    if (text.startsWith("'")) {
      const m = /^'((?:[^']|'')*)'(.*)$/.exec(text);
      if (!m) throw new HttpError(400, `Unable to parse range: ${text}`);
      title = (m[1] ?? '').replace(/''/g, "'");
      rest = m[2] ?? '';
    } else {
      const bang = text.indexOf('!');
      title = bang < 0 ? text : text.slice(0, bang);
      rest = bang < 0 ? '' : text.slice(bang);
    }
    const tab = sheet.tabs.find((t) => t.title === title);
    const cells = /^(?:!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?)?$/.exec(rest);
    if (!tab || !cells) throw new HttpError(400, `Unable to parse range: ${text}`);
    const [, c1, r1, c2, r2] = cells;
    const range: A1Range = { tab };
    if (c1 && r1) range.start = { column: columnNumber(c1), row: Number(r1) };
    if (c2 && r2) range.end = { column: columnNumber(c2), row: Number(r2) };
    if (range.start && range.end) {
      if (range.end.row < range.start.row || range.end.column < range.start.column) {
        throw new HttpError(400, `Unable to parse range: ${text}`);
      }
    }
    return range;
  }

  private a1(tab: Tab, top: number, left: number, bottom: number, right: number): string {
    return `${quoteTitle(tab.title)}!${columnLetters(left)}${top}:${columnLetters(right)}${bottom}`;
  }

  private metadata(id: string, sheet: Spreadsheet): unknown {
    return {
      spreadsheetId: id,
      properties: { title: sheet.title },
      sheets: sheet.tabs.map((t, index) => ({
        properties: { sheetId: t.sheetId, title: t.title, index, sheetType: 'GRID' },
      })),
      spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${id}/edit`,
    };
  }

  private getValues(sheet: Spreadsheet, text: string, query: Record<string, string>): unknown {
    const render = query.valueRenderOption ?? 'FORMATTED_VALUE';
    if (!['FORMATTED_VALUE', 'UNFORMATTED_VALUE', 'FORMULA'].includes(render)) {
      throw new HttpError(400, `Invalid value at 'value_render_option' (${render})`);
    }
    const { tab, start, end } = this.parseRange(sheet, text);
    const width = Math.max(1, ...tab.rows.map((r) => r.length));
    const top = start?.row ?? 1;
    const left = start?.column ?? 1;
    const bottom = end?.row ?? (start && !end ? top : Math.max(1, tab.rows.length));
    const right = end?.column ?? (start && !end ? left : width);
    const values: string[][] = [];
    for (let r = top; r <= bottom; r++) {
      values.push(trimRow((tab.rows[r - 1] ?? []).slice(left - 1, right)));
    }
    while (values.length > 0 && values[values.length - 1]?.length === 0) values.pop();
    const answer: Record<string, unknown> = {
      range: this.a1(tab, top, left, bottom, right),
      majorDimension: 'ROWS',
    };
    if (values.length > 0) answer.values = values;
    return answer;
  }

  private cellsFrom(body: unknown): (string | null)[][] {
    const b = (body ?? {}) as { values?: unknown; majorDimension?: unknown };
    if (b.majorDimension !== undefined && b.majorDimension !== 'ROWS') {
      throw new HttpError(400, 'fake sheets: only majorDimension ROWS is supported');
    }
    if (!Array.isArray(b.values) || !b.values.every((r) => Array.isArray(r))) {
      throw new HttpError(400, "Invalid value at 'data.values'");
    }
    return (b.values as unknown[][]).map((row) =>
      row.map((v) => (v === null || v === undefined ? null : String(v))),
    );
  }

  private requireInputOption(query: Record<string, string>): void {
    const option = query.valueInputOption;
    if (option === undefined) {
      throw new HttpError(400, "'valueInputOption' is required but not specified");
    }
    if (option !== 'RAW' && option !== 'USER_ENTERED') {
      throw new HttpError(400, `Invalid value at 'value_input_option' (${option})`);
    }
  }

  /** Writes a block of cells with its top-left corner at (top, left); null leaves a cell alone. */
  private write(tab: Tab, top: number, left: number, values: (string | null)[][]): void {
    values.forEach((cells, i) => {
      while (tab.rows.length < top + i) tab.rows.push([]);
      const row = tab.rows[top + i - 1] ?? [];
      cells.forEach((value, j) => {
        if (value === null) return;
        while (row.length < left + j - 1) row.push('');
        row[left + j - 1] = value;
      });
    });
  }

  private updated(id: string, tab: Tab, top: number, left: number, values: unknown[][]) {
    const rows = values.length;
    const columns = Math.max(0, ...values.map((r) => r.length));
    return {
      spreadsheetId: id,
      updatedRange: this.a1(tab, top, left, top + rows - 1, left + Math.max(columns, 1) - 1),
      updatedRows: rows,
      updatedColumns: columns,
      updatedCells: values.reduce((n, r) => n + r.length, 0),
    };
  }

  private updateValues(id: string, sheet: Spreadsheet, text: string, req: RecordedRequest) {
    this.requireInputOption(req.query);
    const { tab, start, end } = this.parseRange(sheet, text);
    const bodyRange = (req.body as { range?: unknown } | undefined)?.range;
    if (bodyRange !== undefined && bodyRange !== text) {
      throw new HttpError(
        400,
        `Requested entity range [${String(bodyRange)}] does not match URL range [${text}]`,
      );
    }
    const values = this.cellsFrom(req.body);
    const top = start?.row ?? 1;
    const left = start?.column ?? 1;
    if (end) {
      const tooLow = values.length - 1 + top > end.row;
      const tooWide = values.some((r) => r.length - 1 + left > end.column);
      if (tooLow || tooWide) {
        throw new HttpError(
          400,
          `Requested writing within range [${text}], but tried writing ${tooLow ? 'to row' : 'to column'} beyond it`,
        );
      }
    }
    this.write(tab, top, left, values);
    return this.updated(id, tab, top, left, values);
  }

  /** values:batchUpdate: several ranges in one request (RAW input only, like the rest). */
  private batchUpdateValues(id: string, sheet: Spreadsheet, body: unknown) {
    const { valueInputOption, data } = (body ?? {}) as {
      valueInputOption?: string;
      data?: unknown;
    };
    if (valueInputOption !== 'RAW') throw new HttpError(400, 'valueInputOption must be RAW');
    if (!Array.isArray(data)) throw new HttpError(400, 'data must be a list of value ranges');
    let cells = 0;
    for (const item of data as { range?: string; values?: unknown }[]) {
      const { tab, start } = this.parseRange(sheet, String(item.range ?? ''));
      const values = this.cellsFrom({ values: item.values });
      this.write(tab, start?.row ?? 1, start?.column ?? 1, values);
      cells += values.reduce((n, r) => n + r.length, 0);
    }
    return { spreadsheetId: id, totalUpdatedCells: cells, totalUpdatedRanges: data.length };
  }

  private appendValues(id: string, sheet: Spreadsheet, text: string, req: RecordedRequest) {
    this.requireInputOption(req.query);
    const insert = req.query.insertDataOption ?? 'OVERWRITE';
    if (insert !== 'OVERWRITE' && insert !== 'INSERT_ROWS') {
      throw new HttpError(400, `Invalid value at 'insert_data_option' (${insert})`);
    }
    const { tab, start } = this.parseRange(sheet, text);
    const values = this.cellsFrom(req.body);
    let last = tab.rows.length;
    while (last > 0 && trimRow(tab.rows[last - 1] ?? []).length === 0) last--;
    const left = start?.column ?? 1;
    // Everything after `last` is empty, so INSERT_ROWS and OVERWRITE give the same cells here.
    tab.rows.length = last;
    this.write(tab, last + 1, left, values);
    const width = Math.max(1, ...tab.rows.slice(0, last).map((r) => r.length));
    return {
      spreadsheetId: id,
      ...(last > 0 ? { tableRange: this.a1(tab, 1, 1, last, width) } : {}),
      updates: this.updated(id, tab, last + 1, left, values),
    };
  }

  private batchUpdate(id: string, sheet: Spreadsheet, body: unknown): unknown {
    const requests = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      throw new HttpError(400, 'Must specify at least one request.');
    }
    // Atomic like the real API: work on copies, commit only when every request succeeded.
    const copies = new Map(sheet.tabs.map((t) => [t.sheetId, t.rows.map((r) => [...r])]));
    const replies = requests.map((request: unknown, i) => {
      const del = (request as { deleteDimension?: { range?: Record<string, unknown> } })
        .deleteDimension;
      if (!del?.range) {
        throw new HttpError(400, `Invalid requests[${i}]: the fake supports only deleteDimension`);
      }
      const { sheetId = 0, dimension, startIndex = 0, endIndex } = del.range;
      const rows = copies.get(sheetId as number);
      if (!rows)
        throw new HttpError(
          400,
          `Invalid requests[${i}].deleteDimension: No grid with id: ${String(sheetId)}`,
        );
      if (dimension !== 'ROWS' && dimension !== 'COLUMNS') {
        throw new HttpError(
          400,
          `Invalid requests[${i}].deleteDimension: dimension must be ROWS or COLUMNS`,
        );
      }
      const from = Number(startIndex);
      const to = endIndex === undefined ? Number.MAX_SAFE_INTEGER : Number(endIndex);
      if (!Number.isInteger(from) || !(to > from) || from < 0) {
        throw new HttpError(400, `Invalid requests[${i}].deleteDimension: invalid range`);
      }
      if (dimension === 'ROWS') rows.splice(from, to - from);
      else for (const row of rows) row.splice(from, to - from);
      return {};
    });
    for (const tab of sheet.tabs) tab.rows = copies.get(tab.sheetId) ?? tab.rows;
    return { spreadsheetId: id, replies };
  }
}
