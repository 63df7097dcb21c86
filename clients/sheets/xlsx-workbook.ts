// The .xlsx side of LocalSpreadsheetSource: loading a workbook, its bytes for saving, and cells
// as display strings. Characters XML cannot hold are escaped as `_xHHHH_` on the way out.
import { promises as fs } from 'node:fs';
import { ValueType, Workbook } from 'exceljs';
import type { Cell, CellValue, Worksheet } from 'exceljs';
import { errorText, isErrno, sleep } from './fs-helpers';
import { SheetSourceError } from './sheet-source';

/** exceljs's own declaration of a Buffer, which Node's Buffer does not satisfy in TypeScript. */
type ExcelBuffer = Parameters<Workbook['xlsx']['load']>[0];

/** A file that is being saved by someone else may not parse for a moment: retry a read this often. */
const READ_ATTEMPTS = 3;

/** Reads and parses `file` afresh (nothing is cached: people edit it at the same time). */
export async function loadWorkbook(file: string): Promise<Workbook> {
  for (let attempt = 1; ; attempt++) {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new SheetSourceError(
          `the spreadsheet ${file} does not exist: set [intake] local_file to an .xlsx ` +
            'file with the tabs of the Google Sheet ("Form Responses 1", "Current Users", ...), ' +
            'saved from LibreOffice/Excel or created with createSpreadsheet() from ' +
            'clients/sheets/create-spreadsheet.ts',
        );
      }
      throw new SheetSourceError(`cannot read the spreadsheet ${file}: ${errorText(err)}`);
    }
    const workbook = new Workbook();
    try {
      await workbook.xlsx.load(bytes as unknown as ExcelBuffer);
      return workbook;
    } catch (err) {
      if (attempt >= READ_ATTEMPTS) {
        throw new SheetSourceError(
          `${file} is not a readable .xlsx file (save it as "Excel 2007-365 (.xlsx)"): ` +
            errorText(err),
        );
      }
      await sleep(100 * attempt);
    }
  }
}

/** The workbook as .xlsx file content, every cell escaped for XML. */
export async function xlsxBytes(workbook: Workbook): Promise<Uint8Array> {
  escapeForXml(workbook);
  // exceljs declares its own `Buffer` (an ArrayBuffer); at run time it is Node's Buffer.
  return (await workbook.xlsx.writeBuffer()) as unknown as Uint8Array;
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
export function setCell(sheet: Worksheet, row: number, column: number, value: string): void {
  const cell = sheet.getCell(row, column);
  // Writing to a cell of a merged range would write the range's top-left cell: unmerge first.
  if (cell.isMerged) sheet.unMergeCells(cell.address);
  cell.value = value === '' ? null : value;
}
