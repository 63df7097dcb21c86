// Creates the local registration spreadsheet (.xlsx) that LocalSpreadsheetSource reads: one tab
// per entry, the first row of each tab is its header row (bold, frozen).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Workbook } from 'exceljs';
import { xlsxText } from './local-spreadsheet-source';
import { SheetSourceError } from './sheet-source';

const MIN_WIDTH = 12;
const MAX_WIDTH = 60;

/**
 * Writes a new .xlsx file with the given tabs, in the given order: `tabs["Current Users"]` is
 * that tab's rows, header first ('' leaves a cell empty). Refuses to overwrite an existing file.
 */
export async function createSpreadsheet(
  file: string,
  tabs: Record<string, string[][]>,
): Promise<void> {
  const names = Object.keys(tabs);
  if (names.length === 0) {
    throw new SheetSourceError(`cannot create ${file}: a spreadsheet needs at least one tab`);
  }
  const workbook = new Workbook();
  for (const [name, rows] of Object.entries(tabs)) {
    // exceljs would silently cut a longer name to 31 characters; Excel allows no more.
    if (name.length > 31) {
      throw new SheetSourceError(`tab name "${name}" is longer than 31 characters`);
    }
    let sheet;
    try {
      sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    } catch (err) {
      throw new SheetSourceError(
        `invalid tab name "${name}": ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    rows.forEach((values, r) => {
      const row = sheet.getRow(r + 1);
      values.forEach((value, c) => {
        if (value !== '') row.getCell(c + 1).value = xlsxText(value);
      });
    });
    if (rows.length > 0) sheet.getRow(1).font = { bold: true };
    const columns = Math.max(0, ...rows.map((values) => values.length));
    for (let c = 1; c <= columns; c++) {
      const longest = Math.max(0, ...rows.map((values) => longestLine(values[c - 1] ?? '')));
      sheet.getColumn(c).width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2));
    }
  }
  const bytes = (await workbook.xlsx.writeBuffer()) as unknown as Uint8Array;
  let handle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SheetSourceError(`cannot create ${path.resolve(file)}: ${reason}`);
  }
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw err;
  }
}

function longestLine(text: string): number {
  return Math.max(...text.split('\n').map((line) => line.length));
}
