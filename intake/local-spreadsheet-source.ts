// SheetSource over a local .xlsx file (for operators without Google), edited by people in
// LibreOffice or Excel at the same time as the onboarding reads and writes it. So:
// - every call re-reads the file; nothing is cached;
// - every write is read-modify-write under two locks: a promise chain per file within this
//   process, and a lock file beside the spreadsheet (`<file>.lock`, created with 'wx') across
//   processes; a lock file older than STALE_LOCK_MS is left over from a crash and is broken;
// - the new content goes to a temp file in the same folder that is renamed over the original,
//   so readers (and a crash) only ever see the old or the new file, never half of one.
// A person saving the file in LibreOffice/Excel takes none of these locks: what they save wins.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ValueType, Workbook } from 'exceljs';
import type { Cell, CellValue, Worksheet } from 'exceljs';
import { SheetSourceError } from './sheet-source';
import type { CellUpdate, SheetSource } from './sheet-source';

/** exceljs's own declaration of a Buffer, which Node's Buffer does not satisfy in TypeScript. */
type ExcelBuffer = Parameters<Workbook['xlsx']['load']>[0];

/** A lock file this old belongs to a writer that crashed (a write takes well under a second). */
export const STALE_LOCK_MS = 30_000;
/** How long a write waits for another process's lock before giving up. */
const LOCK_WAIT_MS = 10_000;
/** A file that is being saved by someone else may not parse for a moment: retry a read this often. */
const READ_ATTEMPTS = 3;

/** Tail of the write queue per absolute file path, shared by every instance in this process. */
const writeQueues = new Map<string, Promise<void>>();

export class LocalSpreadsheetSource implements SheetSource {
  private readonly file: string;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  async readRows(tab: string): Promise<string[][]> {
    const workbook = await this.load();
    return worksheetRows(this.worksheet(workbook, tab));
  }

  async updateCells(tab: string, row: number, column: number, values: string[]): Promise<void> {
    checkIndex('row', row);
    checkIndex('column', column);
    if (values.length === 0) return;
    await this.modify(tab, (sheet) => {
      values.forEach((value, i) => setCell(sheet, row, column + i, value));
    });
  }

  async updateCellsBatch(tab: string, updates: CellUpdate[]): Promise<void> {
    for (const { row, column } of updates) {
      checkIndex('row', row);
      checkIndex('column', column);
    }
    if (updates.every((u) => u.values.length === 0)) return;
    await this.modify(tab, (sheet) => {
      for (const { row, column, values } of updates) {
        values.forEach((value, i) => setCell(sheet, row, column + i, value));
      }
    });
  }

  async appendRow(tab: string, values: string[]): Promise<void> {
    await this.modify(tab, (sheet) => {
      const row = worksheetRows(sheet).length + 1;
      values.forEach((value, i) => setCell(sheet, row, 1 + i, value));
    });
  }

  async deleteRow(tab: string, row: number): Promise<void> {
    checkIndex('row', row);
    await this.modify(tab, (sheet) => {
      const rows = worksheetRows(sheet).length;
      if (row > rows) {
        throw new SheetSourceError(
          `cannot delete row ${row} of tab "${tab}" in ${this.file}: it has ${rows} row(s)`,
        );
      }
      sheet.spliceRows(row, 1);
    });
  }

  /** Read-modify-write of one tab, serialised within the process and across processes. */
  private async modify(tab: string, change: (sheet: Worksheet) => void): Promise<void> {
    // Queue first, in call order (writes from one process land in the order they were asked
    // for); then lock the file itself, not a symlink to it, so every path to it shares the lock.
    await serialise(this.file, async () => {
      const real = await fs.realpath(this.file).catch(() => this.file);
      await withLockFile(real, async () => {
        const workbook = await this.load();
        change(this.worksheet(workbook, tab));
        escapeForXml(workbook);
        // exceljs declares its own `Buffer` (an ArrayBuffer); at run time it is Node's Buffer.
        const bytes = (await workbook.xlsx.writeBuffer()) as unknown as Uint8Array;
        await replaceFile(real, bytes);
      });
    });
  }

  private async load(): Promise<Workbook> {
    for (let attempt = 1; ; attempt++) {
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(this.file);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          throw new SheetSourceError(
            `the spreadsheet ${this.file} does not exist: set [intake] local_file to an .xlsx ` +
              'file with the tabs of the Google Sheet ("Form Responses 1", "Current Users", ...), ' +
              'saved from LibreOffice/Excel or created with createSpreadsheet() from ' +
              'intake/create-spreadsheet.ts',
          );
        }
        throw new SheetSourceError(`cannot read the spreadsheet ${this.file}: ${errorText(err)}`);
      }
      const workbook = new Workbook();
      try {
        await workbook.xlsx.load(bytes as unknown as ExcelBuffer);
        return workbook;
      } catch (err) {
        if (attempt >= READ_ATTEMPTS) {
          throw new SheetSourceError(
            `${this.file} is not a readable .xlsx file (save it as "Excel 2007-365 (.xlsx)"): ` +
              errorText(err),
          );
        }
        await sleep(100 * attempt);
      }
    }
  }

  private worksheet(workbook: Workbook, tab: string): Worksheet {
    const sheet = workbook.getWorksheet(tab);
    if (!sheet) {
      const tabs = workbook.worksheets.map((s) => `"${s.name}"`).join(', ') || 'none';
      throw new SheetSourceError(`no tab "${tab}" in ${this.file}; its tabs are: ${tabs}`);
    }
    return sheet;
  }
}

/**
 * A character XML 1.0 cannot hold (C0 controls but tab and line feed, U+FFFE, U+FFFF; a carriage
 * return would come back as a line feed), and text that looks like an escape itself.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /_x[0-9A-Fa-f]{4}_|[\u0000-\u0008\u000b-\u001f\ufffe\uffff]/g;

/**
 * A value as an .xlsx file stores it: the characters XML cannot hold as `_xHHHH_`, the escape
 * Excel and LibreOffice write and exceljs decodes on reading, so the value reads back exactly.
 */
export function xlsxText(value: string): string {
  return value.replace(NOT_XML, (match) =>
    match.length > 1
      ? `_x005F_${match.slice(1)}`
      : `_x${match.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`,
  );
}

/**
 * exceljs decodes the escapes when it reads a file but does not write them, and every save
 * rewrites every tab: without this, one control character in any cell (typed into the form or
 * copied by a row move) would make the file unreadable, or change the cell and so its key.
 */
function escapeForXml(workbook: Workbook): void {
  workbook.eachSheet((sheet) =>
    sheet.eachRow((row) =>
      row.eachCell((cell) => {
        const value = cell.value;
        if (typeof value === 'string') {
          const escaped = xlsxText(value);
          if (escaped !== value) cell.value = escaped;
        } else if (value && typeof value === 'object' && 'richText' in value) {
          value.richText.forEach((part) => (part.text = xlsxText(part.text)));
        }
      }),
    ),
  );
}

/**
 * Every row of a worksheet as display strings: trailing empty rows dropped, each row padded
 * to the header row's width (a row with values beyond the header keeps them).
 */
export function worksheetRows(sheet: Worksheet): string[][] {
  const sparse: string[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, colNumber) => {
      const text = cellText(cell);
      if (text !== '') cells[colNumber - 1] = text;
    });
    if (cells.length > 0) sparse[rowNumber - 1] = cells;
  });
  const width = sparse[0]?.length ?? 0;
  return Array.from(sparse, (cells: string[] | undefined) => {
    const row = Array.from({ length: Math.max(width, cells?.length ?? 0) }, () => '');
    cells?.forEach((text, i) => (row[i] = text));
    return row;
  });
}

/** A cell as the person sees it ('' for the hidden cells of a merged range, as Google does). */
export function cellText(cell: Cell): string {
  if (cell.type === ValueType.Merge) return '';
  return displayValue(cell.value);
}

/** Display string of a cell value: formulas show their result, dates `YYYY-MM-DD HH:MM:SS`. */
export function displayValue(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return formatDate(value);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('hyperlink' in value) return displayValue(value.text as CellValue);
  if ('formula' in value || 'sharedFormula' in value) return displayValue(value.result);
  if ('error' in value) return value.error;
  return '';
}

/** At most 15 significant digits, as a spreadsheet shows them (0.1 + 0.2 is "0.3"). */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(15)));
}

/**
 * Spreadsheet dates carry no time zone; exceljs maps them to UTC, so the UTC fields are the
 * wall-clock time in the cell. Rounded to the second (serial numbers are fractions of a day).
 */
function formatDate(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return '';
  return new Date(Math.round(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Writes a string as text ('' clears the cell); the cell keeps its formatting. */
function setCell(sheet: Worksheet, row: number, column: number, value: string): void {
  const cell = sheet.getCell(row, column);
  // Writing to a cell of a merged range would write the range's top-left cell: unmerge first.
  if (cell.isMerged) sheet.unMergeCells(cell.address);
  cell.value = value === '' ? null : value;
}

function checkIndex(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new SheetSourceError(`${name} must be a whole number from 1, not ${value}`);
  }
}

/** Runs `task` after every earlier task queued for `key` in this process has settled. */
function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(key, tail);
  void tail.then(() => {
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  });
  return result;
}

/** Runs `task` holding `<file>.lock`, which other processes writing the same file also take. */
async function withLockFile<T>(file: string, task: () => Promise<T>): Promise<T> {
  const lockFile = `${file}.lock`;
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    let handle;
    try {
      handle = await fs.open(lockFile, 'wx');
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        throw new SheetSourceError(`cannot create the lock file ${lockFile}: ${errorText(err)}`);
      }
    }
    if (handle) {
      try {
        await handle.writeFile(token);
        await handle.close();
      } catch (err) {
        await handle.close().catch(() => undefined);
        await fs.rm(lockFile, { force: true });
        throw new SheetSourceError(`cannot write the lock file ${lockFile}: ${errorText(err)}`);
      }
      break;
    }
    if (await breakStaleLock(lockFile)) continue;
    if (Date.now() > deadline) {
      throw new SheetSourceError(
        `${file} is locked by another process (${lockFile}) for more than ${LOCK_WAIT_MS / 1000} s; ` +
          `a lock older than ${STALE_LOCK_MS / 1000} s is removed automatically`,
      );
    }
    await sleep(Math.min(10 * 2 ** attempt, 100) * (0.5 + Math.random()));
  }
  try {
    return await task();
  } finally {
    // Only remove our own lock: if ours was broken as stale, the current one belongs to another.
    const content = await fs.readFile(lockFile, 'utf8').catch(() => undefined);
    if (content === token) await fs.rm(lockFile, { force: true });
  }
}

/**
 * Removes the lock file if it is older than STALE_LOCK_MS; true if it is gone now. It is
 * renamed away first, and put back if it turns out to be a new lock that another process took
 * after ours saw the stale one (two processes breaking the same stale lock).
 */
async function breakStaleLock(lockFile: string): Promise<boolean> {
  let stale;
  try {
    stale = await fs.stat(lockFile);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  if (Date.now() - stale.mtimeMs < STALE_LOCK_MS) return false;
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await fs.rename(lockFile, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  const taken = await fs.stat(aside);
  if (taken.ino !== stale.ino || taken.mtimeMs !== stale.mtimeMs) {
    await fs.link(aside, lockFile).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
  return true;
}

/** Replaces `target` (no symlink) with `bytes` atomically: temp file in the same folder, fsync, rename. */
async function replaceFile(target: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const mode = await fs.stat(target).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      if (mode !== undefined) await handle.chmod(mode);
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    // Excel on Windows keeps the files it has open locked against replacement.
    const hint = ['EPERM', 'EBUSY', 'EACCES'].some((code) => isErrno(err, code))
      ? ' (is it open in Excel? Close it there)'
      : '';
    throw new SheetSourceError(`cannot write the spreadsheet ${target}${hint}: ${errorText(err)}`);
  }
  // Make the rename itself durable; not every platform can open a folder, so best effort.
  await fs
    .open(dir, 'r')
    .then(
      (handle) => handle.sync().finally(() => handle.close()),
      () => undefined,
    )
    .catch(() => undefined);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
