// SheetSource over a local .xlsx file (for operators without Google), edited by people in
// LibreOffice or Excel at the same time as the onboarding reads and writes it. So:
// - every call re-reads the file; nothing is cached;
// - every write is read-modify-write under two locks: a promise chain per file within this
//   process, and a lock file beside the spreadsheet (`<file>.lock`, created with 'wx') across
//   processes; a lock file older than STALE_LOCK_MS is left over from a crash and is broken;
// - the new content goes to a temp file in the same folder that is renamed over the original,
//   so readers (and a crash) only ever see the old or the new file, never half of one.
// A person saving the file in LibreOffice/Excel takes none of these locks: what they save wins.
// The locks and the replace are in file-writes.ts; the .xlsx reading and writing in xlsx-workbook.ts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Workbook, Worksheet } from 'exceljs';
import { replaceFile, serialise, withLockFile } from './file-writes';
import { SheetSourceError } from './sheet-source';
import type { CellUpdate, SheetSource } from './sheet-source';
import { loadWorkbook, setCell, worksheetRows, xlsxBytes } from './xlsx-workbook';

// Exported from here before the split; other modules import them from here.
export { STALE_LOCK_MS } from './file-writes';
export { cellText, displayValue, worksheetRows, xlsxText } from './xlsx-workbook';

export class LocalSpreadsheetSource implements SheetSource {
  private readonly file: string;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  async readRows(tab: string): Promise<string[][]> {
    const workbook = await loadWorkbook(this.file);
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
        const workbook = await loadWorkbook(this.file);
        change(this.worksheet(workbook, tab));
        await replaceFile(real, await xlsxBytes(workbook));
      });
    });
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

function checkIndex(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new SheetSourceError(`${name} must be a whole number from 1, not ${value}`);
  }
}
