// LocalSpreadsheetSource against real .xlsx files in a temp folder (no services needed): display
// strings, writes, errors, and concurrent writers in one process and in two processes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Workbook } from 'exceljs';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { SheetSourceError } from '../../clients/sheets/sheet-source';

const FORM = 'Form Responses 1';
const USERS = 'Current Users';
const FORM_HEADER = ['Timestamp', 'Email', 'Name', 'Phone'];
const USERS_HEADER = ['User', 'Project', 'Status'];

const dir = mkdtempSync(join(tmpdir(), 'kaizen-xlsx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A new spreadsheet with both tabs, the header rows and `users` below the Current Users header. */
async function newFile(users: string[][] = []): Promise<string> {
  const file = join(dir, `registrations-${++counter}.xlsx`);
  await createSpreadsheet(file, { [FORM]: [FORM_HEADER], [USERS]: [USERS_HEADER, ...users] });
  return file;
}

/** Edits the file with exceljs directly, the way a person's spreadsheet program would. */
async function editDirectly(file: string, edit: (workbook: Workbook) => void): Promise<void> {
  const workbook = new Workbook();
  await workbook.xlsx.readFile(file);
  edit(workbook);
  await workbook.xlsx.writeFile(file);
}

/** Only the spreadsheets may remain in the folder: no lock or temp files. */
function assertNoLeftovers(): void {
  const extra = readdirSync(dir).filter((name) => !/^registrations-\d+\.xlsx$/.test(name));
  assert.deepEqual(extra, []);
}

describe('LocalSpreadsheetSource', () => {
  test('createSpreadsheet writes the tabs in order with a bold header row', async () => {
    const file = await newFile([['alice', 'p1', 'active']]);
    const workbook = new Workbook();
    await workbook.xlsx.readFile(file);
    assert.deepEqual(
      workbook.worksheets.map((s) => s.name),
      [FORM, USERS],
    );
    const users = workbook.getWorksheet(USERS);
    assert.ok(users);
    assert.equal(users.getCell('A1').font?.bold, true);
    assert.notEqual(users.getCell('A2').font?.bold, true);
    assert.ok((users.getColumn(1).width ?? 0) >= 10);
    await assert.rejects(createSpreadsheet(file, { [FORM]: [] }), SheetSourceError);
  });

  test('reads display strings: numbers, dates, rich text, formulas, empty cells', async () => {
    const file = await newFile([['alice', 'p1', 'active']]);
    await editDirectly(file, (workbook) => {
      const form = workbook.getWorksheet(FORM);
      assert.ok(form);
      // Row 2: empty cell in the middle (Name); row 3: empty cells at the end.
      form.getCell('A2').value = new Date(Date.UTC(2024, 2, 5, 9, 30, 15));
      form.getCell('B2').value = 'a@example.org';
      form.getCell('D2').value = 4915112345678;
      form.getCell('A3').value = 'later';
      form.getCell('B3').value = {
        richText: [{ text: 'b@', font: { bold: true } }, { text: 'x.org' }],
      };
      // Row 4 stays empty (kept: it is not trailing); row 5 has numbers, a formula and a boolean.
      form.getCell('A5').value = 0.1 + 0.2;
      form.getCell('B5').value = { formula: 'D5*2', result: 7 };
      form.getCell('C5').value = true;
      form.getCell('D5').value = 3.5;
      // A formatted but empty cell further down is no row; nor is a value beyond the header.
      form.getCell('A9').fill = {
        type: 'pattern',
        pattern: 'solid',
        fgColor: { argb: 'FFFF0000' },
      };
      form.getCell('F6').value = 'beyond';
    });
    const source = new LocalSpreadsheetSource(file);
    assert.deepEqual(await source.readRows(FORM), [
      FORM_HEADER,
      ['2024-03-05 09:30:15', 'a@example.org', '', '4915112345678'],
      ['later', 'b@x.org', '', ''],
      ['', '', '', ''],
      ['0.3', '7', 'TRUE', '3.5'],
      ['', '', '', '', '', 'beyond'],
    ]);
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER, ['alice', 'p1', 'active']]);
  });

  test('every read sees edits made to the file meanwhile', async () => {
    const file = await newFile();
    const source = new LocalSpreadsheetSource(file);
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER]);
    await editDirectly(file, (workbook) => {
      const users = workbook.getWorksheet(USERS);
      assert.ok(users);
      users.getCell('A2').value = 'bob';
    });
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER, ['bob', '', '']]);
  });

  test('updateCells overwrites cells from the given column on; an empty string clears', async () => {
    const file = await newFile([
      ['alice', 'p1', 'pending'],
      ['bob', 'p2', 'pending'],
    ]);
    const source = new LocalSpreadsheetSource(file);
    await source.updateCells(USERS, 3, 2, ['p9', 'active']);
    await source.updateCells(USERS, 2, 1, ['alice2', '']);
    assert.deepEqual(await source.readRows(USERS), [
      USERS_HEADER,
      ['alice2', '', 'pending'],
      ['bob', 'p9', 'active'],
    ]);
    // Writing below the data adds a row there; the rows between are empty.
    await source.updateCells(USERS, 5, 3, ['far']);
    assert.deepEqual((await source.readRows(USERS)).slice(3), [
      ['', '', ''],
      ['', '', 'far'],
    ]);
    await assert.rejects(source.updateCells(USERS, 0, 1, ['x']), SheetSourceError);
    await assert.rejects(source.updateCells(USERS, 2, 1.5, ['x']), SheetSourceError);
    assert.deepEqual(await source.readRows(FORM), [FORM_HEADER], 'the other tab is untouched');
    assertNoLeftovers();
  });

  test('appendRow writes after the last non-empty row', async () => {
    const file = await newFile([['alice', 'p1', 'active']]);
    await editDirectly(file, (workbook) => {
      // A formatted empty row below the data, as spreadsheets often have.
      const users = workbook.getWorksheet(USERS);
      assert.ok(users);
      users.getCell('A3').font = { italic: true };
      users.getCell('B3').value = '';
    });
    const source = new LocalSpreadsheetSource(file);
    await source.appendRow(USERS, ['bob', '', 'pending']);
    await source.appendRow(USERS, ['carol']);
    assert.deepEqual(await source.readRows(USERS), [
      USERS_HEADER,
      ['alice', 'p1', 'active'],
      ['bob', '', 'pending'],
      ['carol', '', ''],
    ]);
    assertNoLeftovers();
  });

  test('values XML cannot hold read back exactly, after any later write too', async () => {
    const file = await newFile();
    const source = new LocalSpreadsheetSource(file);
    const hostile = ['a\r\nb', 'nul\u0000 bel\u0007', 'not\ufffe a\uffff char', 'literal _x0041_'];
    await source.appendRow(USERS, hostile);
    await source.appendRow(USERS, ['next']);
    await source.updateCells(USERS, 1, 4, ['Note']);
    const rows = await source.readRows(USERS);
    assert.deepEqual(rows[1], hostile);
    assert.deepEqual(rows[2], ['next', '', '', '']);
    const created = join(dir, `registrations-${++counter}.xlsx`);
    await createSpreadsheet(created, { [FORM]: [FORM_HEADER, hostile] });
    assert.deepEqual((await new LocalSpreadsheetSource(created).readRows(FORM))[1], hostile);
  });

  test('deleteRow removes a row and the rows below move up', async () => {
    const file = await newFile([
      ['alice', 'p1', 'active'],
      ['bob', 'p2', 'pending'],
      ['carol', 'p3', 'active'],
      ['dave', 'p4', 'pending'],
    ]);
    const source = new LocalSpreadsheetSource(file);
    await source.deleteRow(USERS, 3);
    assert.deepEqual(await source.readRows(USERS), [
      USERS_HEADER,
      ['alice', 'p1', 'active'],
      ['carol', 'p3', 'active'],
      ['dave', 'p4', 'pending'],
    ]);
    await source.deleteRow(USERS, 4); // the last row
    await source.appendRow(USERS, ['erin', 'p5', 'active']);
    assert.deepEqual(await source.readRows(USERS), [
      USERS_HEADER,
      ['alice', 'p1', 'active'],
      ['carol', 'p3', 'active'],
      ['erin', 'p5', 'active'],
    ]);
    await assert.rejects(source.deleteRow(USERS, 5), /cannot delete row 5 .* it has 4 row/);
    assert.equal((await source.readRows(USERS)).length, 4);
  });

  test('an unknown tab names the tab, the file and the tabs there are', async () => {
    const file = await newFile();
    const source = new LocalSpreadsheetSource(file);
    for (const call of [
      () => source.readRows('Users'),
      () => source.appendRow('Users', ['x']),
      () => source.updateCells('Users', 2, 1, ['x']),
      () => source.deleteRow('Users', 1),
    ]) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof SheetSourceError);
        assert.equal(
          err.message,
          `no tab "Users" in ${resolve(file)}; its tabs are: "${FORM}", "${USERS}"`,
        );
        return true;
      });
    }
    assertNoLeftovers();
  });

  test('a missing file says how to configure and create one', async () => {
    const source = new LocalSpreadsheetSource(join(dir, 'missing.xlsx'));
    for (const call of [() => source.readRows(FORM), () => source.appendRow(FORM, ['x'])]) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof SheetSourceError);
        assert.match(err.message, /missing\.xlsx does not exist/);
        assert.match(err.message, /\[intake\] local_file/);
        assert.match(err.message, /createSpreadsheet/);
        return true;
      });
    }
    assertNoLeftovers();
  });

  test('a file that is no .xlsx is a SheetSourceError', async () => {
    const file = join(dir, 'not-a-spreadsheet.csv');
    writeFileSync(file, 'User,Project\nalice,p1\n');
    try {
      await assert.rejects(
        new LocalSpreadsheetSource(file).readRows(USERS),
        /not a readable \.xlsx/,
      );
    } finally {
      rmSync(file);
    }
  });

  test('20 concurrent appendRow calls in one process keep all 20 rows, in call order', async () => {
    const file = await newFile();
    const source = new LocalSpreadsheetSource(file);
    const rows = Array.from({ length: 20 }, (_, i) => [`user${i}`, `p${i}`, 'pending']);
    await Promise.all(rows.map((row) => source.appendRow(USERS, row)));
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER, ...rows]);
    assertNoLeftovers();
  });

  test('concurrent writes from two other processes and this one lose nothing', async () => {
    const file = await newFile();
    const modulePath = resolve(__dirname, '../../clients/sheets/local-spreadsheet-source.ts');
    const writer = (name: string, count: number) => `
      const { LocalSpreadsheetSource } = require(${JSON.stringify(modulePath)});
      const source = new LocalSpreadsheetSource(${JSON.stringify(file)});
      const rows = Array.from({ length: ${count} }, (_, i) => [${JSON.stringify(name)} + i, 'p', 'x']);
      Promise.all(rows.map((row) => source.appendRow(${JSON.stringify(USERS)}, row))).catch((err) => {
        console.error(err);
        process.exitCode = 1;
      });`;
    const run = promisify(execFile);
    const children = ['a', 'b'].map((name) =>
      run(process.execPath, ['--import', 'tsx', '-e', writer(name, 15)], {
        cwd: resolve(__dirname, '../..'),
        timeout: 60_000,
      }),
    );
    // This process writes at the same time, to the same tab and to the other one.
    const source = new LocalSpreadsheetSource(file);
    const mine = Array.from({ length: 10 }, (_, i) => [`c${i}`, 'p', 'x']);
    await Promise.all([
      ...mine.map((row) => source.appendRow(USERS, row)),
      source.updateCells(FORM, 2, 1, ['form row']),
      ...children,
    ]);
    const rows = await source.readRows(USERS);
    assert.deepEqual(rows[0], USERS_HEADER);
    const names = rows.slice(1).map((row) => row[0] ?? '');
    const expected = [
      ...Array.from({ length: 15 }, (_, i) => `a${i}`),
      ...Array.from({ length: 15 }, (_, i) => `b${i}`),
      ...mine.map((row) => row[0] ?? ''),
    ];
    assert.deepEqual([...names].sort(), [...expected].sort());
    // Each writer's rows keep their order (its writes are serialised in its process).
    for (const prefix of ['a', 'b', 'c']) {
      const own = names.filter((n) => n.startsWith(prefix));
      assert.deepEqual(
        own,
        [...own].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))),
      );
    }
    assert.deepEqual(await source.readRows(FORM), [FORM_HEADER, ['form row', '', '', '']]);
    assertNoLeftovers();
  });

  test('a write waits for a lock file held by another process', async () => {
    const file = await newFile();
    const lock = `${file}.lock`;
    writeFileSync(lock, 'someone else\n');
    const source = new LocalSpreadsheetSource(file);
    let done = false;
    const append = source.appendRow(USERS, ['waited']).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'the write must not happen while the lock is held');
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER]);
    rmSync(lock);
    await append;
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER, ['waited', '', '']]);
    assertNoLeftovers();
  });

  test('a lock file older than 30 s is broken', async () => {
    const file = await newFile();
    const lock = `${file}.lock`;
    writeFileSync(lock, '12345 crashed\n');
    const old = new Date(Date.now() - 31_000);
    utimesSync(lock, old, old);
    const source = new LocalSpreadsheetSource(file);
    await source.appendRow(USERS, ['after crash']);
    assert.deepEqual(await source.readRows(USERS), [USERS_HEADER, ['after crash', '', '']]);
    assertNoLeftovers();
  });
});
