// Moving a completed row between tabs of a real .xlsx (no services needed): the copy carries the
// Status it is given, under a Status header wherever the target tab keeps or lacks one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { keyedTab } from '../../activities/sheets/keyed-tab';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { requestKey } from '../../intake/sheet-layout';

const FROM = 'Form Responses 1';
const TO = 'Current Users';
const HEADER = ['Timestamp', 'Email', 'Name'];
const DONE = 'completed 2026-12-07 17:03 UTC';
const ROW = ['2026-12-01T10:00:00Z', 'ada@example.org', 'Ada', 'in progress since 2026-12-01'];
const KEY = requestKey('ada@example.org', '2026-12-01T10:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'kaizen-move-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
async function sheet(target: string[][]) {
  const file = join(dir, `sheet-${++files}.xlsx`);
  await createSpreadsheet(file, { [FROM]: [[...HEADER, 'Status'], ROW], [TO]: target });
  const source = new LocalSpreadsheetSource(file);
  const tab = keyedTab(source, FROM, {
    columns: (header) => {
      const at = (name: string) => {
        const i = header.indexOf(name);
        return i < 0 ? undefined : i + 1;
      };
      return { timestamp: at('Timestamp'), email: at('Email'), status: at('Status') };
    },
    headers: { status: 'Status', helpdeskNotified: 'Notified', reminderSent: 'Reminder Sent' },
  });
  // keyedTab logs through the activity context, as it runs in the worker.
  const move = (status?: string) =>
    new MockActivityEnvironment().run(() => tab.moveRow(KEY, TO, status));
  return { source, move };
}

describe('keyedTab.moveRow with a Status for the copy', () => {
  test('a target without a Status header gets one where the copy keeps its Status', async () => {
    const { source, move } = await sheet([HEADER]);
    await move(DONE);
    assert.deepEqual(await source.readRows(TO), [
      [...HEADER, 'Status'],
      [...ROW.slice(0, 3), DONE],
    ]);
    assert.deepEqual(await source.readRows(FROM), [[...HEADER, 'Status']]);
    await move(DONE); // a retry after the move: nothing more
    assert.equal((await source.readRows(TO)).length, 2);
  });

  test('a target whose columns differ: copied by position as before, no cell overwritten', async () => {
    const target = ['Status', ...HEADER];
    const { source, move } = await sheet([target]);
    await move(DONE);
    assert.deepEqual(await source.readRows(TO), [target, [...ROW.slice(0, 3), DONE]]);
  });

  test('an empty target gets the source header; a retry after a crash appends no second copy', async () => {
    const { source, move } = await sheet([]);
    await source.appendRow(TO, [...HEADER, 'Status']);
    await source.appendRow(TO, [...ROW.slice(0, 3), DONE]); // appended, then the worker died
    await move(DONE);
    assert.deepEqual(await source.readRows(TO), [
      [...HEADER, 'Status'],
      [...ROW.slice(0, 3), DONE],
    ]);
    assert.deepEqual(await source.readRows(FROM), [[...HEADER, 'Status']]);
    const fresh = await sheet([]);
    await fresh.move(DONE);
    assert.deepEqual(await fresh.source.readRows(TO), [
      [...HEADER, 'Status'],
      [...ROW.slice(0, 3), DONE],
    ]);
  });

  test('without a Status, the row moves as it is', async () => {
    const { source, move } = await sheet([HEADER]);
    await move();
    assert.deepEqual((await source.readRows(TO))[1], ROW);
  });
});
