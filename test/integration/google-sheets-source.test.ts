// GoogleSheetsSource with the real `googleapis` client against a local Sheets v4 server that
// checks the self-signed service-account JWT. No other services needed.
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { columnLetters, GoogleSheetsSource } from '../../clients/sheets/google-sheets-source';
import { SheetSourceError } from '../../clients/sheets/sheet-source';
import { FakeSheetsServer, SHEETS_SCOPE } from '../support/fake-sheets-server';
import { makeServiceAccountKey, type TestServiceAccount } from '../support/service-account';

const ID = '1AbC-dEf_123';
const FORM = 'Form Responses 1';
const USERS = 'Current Users';

function formRows(): string[][] {
  return [
    ['Timestamp', 'Email', 'Name', 'Group'],
    ['1/2/2025 10:00:00', 'ann@example.org', 'Ann', 'physics'],
    ['1/2/2025 11:00:00', '', 'Bob', 'chemistry'], // empty cell in the middle
    ['1/3/2025 09:30:00', 'cy@example.org', '', ''], // empty cells at the end
    [], // an empty row between entries
    ['1/4/2025 08:00:00', 'dee@example.org', 'Dee', 'biology'],
    ['', '', '', ''], // trailing empty rows
    [],
  ];
}

/** A JWT like the client library's, signed with `account`'s key, with chosen claims. */
function jwt(account: { privateKey: string }, claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(unsigned), account.privateKey);
  return `${unsigned}.${signature.toString('base64url')}`;
}

describe('GoogleSheetsSource on a local Sheets v4 server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-sheets-'));
  let account: TestServiceAccount;
  let fake: FakeSheetsServer;
  let rootUrl: string;
  let source: GoogleSheetsSource;

  before(async () => {
    account = makeServiceAccountKey(dir);
    fake = new FakeSheetsServer(account);
    rootUrl = await fake.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.addSpreadsheet(ID, { [FORM]: formRows(), [USERS]: [['Username', 'Email']] });
    fake.requests.length = 0;
    source = new GoogleSheetsSource({ spreadsheetId: ID, keyFile: account.keyFile, rootUrl });
  });

  test('column letters', () => {
    assert.deepEqual([1, 2, 26, 27, 28, 52, 53, 702, 703].map(columnLetters), [
      'A',
      'B',
      'Z',
      'AA',
      'AB',
      'AZ',
      'BA',
      'ZZ',
      'AAA',
    ]);
  });

  test('reads a tab: header first, every row as wide as the header, trailing empty rows gone', async () => {
    const rows = await source.readRows(FORM);
    assert.deepEqual(rows, [
      ['Timestamp', 'Email', 'Name', 'Group'],
      ['1/2/2025 10:00:00', 'ann@example.org', 'Ann', 'physics'],
      ['1/2/2025 11:00:00', '', 'Bob', 'chemistry'],
      ['1/3/2025 09:30:00', 'cy@example.org', '', ''],
      ['', '', '', ''],
      ['1/4/2025 08:00:00', 'dee@example.org', 'Dee', 'biology'],
    ]);
    assert.deepEqual(
      fake.requests.map((r) => [r.method, r.path, r.query]),
      [
        [
          'GET',
          `/v4/spreadsheets/${ID}/values/%27Form%20Responses%201%27`,
          { valueRenderOption: 'FORMATTED_VALUE' },
        ],
      ],
    );
  });

  test('the server, like Google, leaves out trailing empty cells and rows', async () => {
    const res = await fetch(`${rootUrl}v4/spreadsheets/${ID}/values/${encodeURIComponent(FORM)}`, {
      headers: {
        authorization: `Bearer ${jwt(account, {
          iss: account.clientEmail,
          scope: SHEETS_SCOPE,
          exp: Math.floor(Date.now() / 1000) + 60,
        })}`,
      },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { range: string; values: string[][] };
    assert.equal(body.range, "'Form Responses 1'!A1:D8");
    assert.deepEqual(body.values.slice(3), [
      ['1/3/2025 09:30:00', 'cy@example.org'],
      [],
      ['1/4/2025 08:00:00', 'dee@example.org', 'Dee', 'biology'],
    ]);
  });

  test('an empty tab reads as no rows', async () => {
    fake.setRows(ID, USERS, []);
    assert.deepEqual(await source.readRows(USERS), []);
  });

  test('updates cells of one row, from a given column', async () => {
    await source.updateCells(FORM, 3, 2, ['bob@example.org', 'Bob B.']);
    await source.updateCells(FORM, 2, 27, ['x']); // column AA, beyond the data
    const rows = fake.getRows(ID, FORM);
    assert.deepEqual(rows[2], ['1/2/2025 11:00:00', 'bob@example.org', 'Bob B.', 'chemistry']);
    assert.deepEqual(rows[1], [
      ...['1/2/2025 10:00:00', 'ann@example.org', 'Ann', 'physics'],
      ...Array<string>(22).fill(''),
      'x',
    ]);
    assert.deepEqual(rows[0], ['Timestamp', 'Email', 'Name', 'Group']);
    await assert.rejects(source.updateCells(FORM, 0, 1, ['x']), SheetSourceError);
    await assert.rejects(source.updateCells(FORM, 2, 1.5, ['x']), SheetSourceError);
    await assert.rejects(source.deleteRow(FORM, -1), SheetSourceError);
    assert.deepEqual(
      fake.requests.map((r) => [r.method, r.path, r.query, r.body]),
      [
        [
          'PUT',
          `/v4/spreadsheets/${ID}/values/%27Form%20Responses%201%27%21B3%3AC3`,
          { valueInputOption: 'RAW' },
          { values: [['bob@example.org', 'Bob B.']] },
        ],
        [
          'PUT',
          `/v4/spreadsheets/${ID}/values/%27Form%20Responses%201%27%21AA2%3AAA2`,
          { valueInputOption: 'RAW' },
          { values: [['x']] },
        ],
      ],
    );
  });

  test('appends a row after the last non-empty row, values kept as text', async () => {
    await source.appendRow(FORM, ['1/5/2025 12:00:00', 'eve@example.org', '=1+1', '007']);
    assert.deepEqual((await source.readRows(FORM)).slice(4), [
      ['', '', '', ''],
      ['1/4/2025 08:00:00', 'dee@example.org', 'Dee', 'biology'],
      ['1/5/2025 12:00:00', 'eve@example.org', '=1+1', '007'],
    ]);
    const append = fake.requests[0];
    assert.equal(append?.method, 'POST');
    assert.equal(append?.path, `/v4/spreadsheets/${ID}/values/%27Form%20Responses%201%27:append`);
    assert.deepEqual(append?.query, { valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' });
  });

  test('deletes a row by number; the rows below move up; the tab id is looked up once', async () => {
    fake.setRows(ID, USERS, [
      ['Username', 'Email'],
      ['ann', 'ann@example.org'],
      ['bob', 'bob@example.org'],
      ['cy', 'cy@example.org'],
    ]);
    await source.deleteRow(USERS, 2);
    assert.deepEqual(await source.readRows(USERS), [
      ['Username', 'Email'],
      ['bob', 'bob@example.org'],
      ['cy', 'cy@example.org'],
    ]);
    await source.deleteRow(USERS, 3);
    assert.deepEqual(fake.getRows(ID, USERS), [
      ['Username', 'Email'],
      ['bob', 'bob@example.org'],
    ]);
    assert.deepEqual(fake.getRows(ID, FORM), formRows(), 'the other tab is untouched');

    const calls = fake.requests.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(calls, [
      `GET /v4/spreadsheets/${ID}`,
      `POST /v4/spreadsheets/${ID}:batchUpdate`,
      `GET /v4/spreadsheets/${ID}/values/%27Current%20Users%27`,
      `POST /v4/spreadsheets/${ID}:batchUpdate`,
    ]);
    const usersId = (
      (await (await fetchAs(account, `v4/spreadsheets/${ID}`)).json()) as {
        sheets: { properties: { sheetId: number; title: string } }[];
      }
    ).sheets.find((s) => s.properties.title === USERS)?.properties.sheetId;
    assert.notEqual(usersId, 0);
    assert.deepEqual(fake.requests[3]?.body, {
      requests: [
        {
          deleteDimension: {
            range: { sheetId: usersId, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
          },
        },
      ],
    });
  });

  test('a tab name with spaces and an apostrophe', async () => {
    const tab = "Bob's Form 2";
    fake.setRows(ID, tab, [['A', 'B'], ['1']]);
    assert.deepEqual(await source.readRows(tab), [
      ['A', 'B'],
      ['1', ''],
    ]);
    await source.updateCells(tab, 2, 2, ['2']);
    await source.appendRow(tab, ['3', '4']);
    await source.deleteRow(tab, 1);
    assert.deepEqual(fake.getRows(ID, tab), [
      ['1', '2'],
      ['3', '4'],
    ]);
    assert.equal(
      fake.requests[0]?.path,
      `/v4/spreadsheets/${ID}/values/%27Bob%27%27s%20Form%202%27`,
    );
  });

  test('a key the server does not know is refused (401) with a SheetSourceError', async () => {
    const stranger = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-sheets-')));
    assert.equal(stranger.clientEmail, account.clientEmail, 'same email, other key pair');
    const other = new GoogleSheetsSource({ spreadsheetId: ID, keyFile: stranger.keyFile, rootUrl });
    await assert.rejects(other.readRows(FORM), (err: Error) => {
      assert.ok(err instanceof SheetSourceError, String(err));
      assert.match(err.message, /credentials of kaizen-intake@kaizen-test.iam.gserviceaccount.com/);
      assert.match(err.message, /\[intake\] key_file .*kaizen-intake-.*\.json/);
      assert.match(err.message, /invalid authentication credentials/);
      return true;
    });
    assert.equal(fake.requests.length, 1, 'no retry on 401');
  });

  test('the server checks the token: missing, expired, wrong issuer, wrong scope', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = { iss: account.clientEmail, scope: SHEETS_SCOPE, exp: now + 60 };
    const stranger = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-sheets-')));
    const cases: [string | undefined, number][] = [
      [undefined, 401],
      ['not-a-jwt', 401],
      [jwt(account, good), 200],
      [jwt(stranger, good), 401], // right claims, no kid, signed with another key
      [jwt(account, { ...good, exp: now - 1 }), 401],
      [jwt(account, { ...good, iss: 'someone@else.iam.gserviceaccount.com' }), 401],
      [jwt(account, { ...good, scope: 'https://www.googleapis.com/auth/drive' }), 403],
    ];
    for (const [token, status] of cases) {
      const res = await fetchAs(token, `v4/spreadsheets/${ID}`);
      assert.equal(res.status, status, `token ${token?.slice(-12)}`);
      if (status !== 200) {
        const body = (await res.json()) as { error: { code: number; status: string } };
        assert.equal(body.error.code, status);
        assert.equal(body.error.status, status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
      }
    }
  });

  test('an unknown tab: SheetSourceError naming it, from every call', async () => {
    const attempts: [string, () => Promise<unknown>][] = [
      ['readRows', () => source.readRows('Form Responses 2')],
      ['updateCells', () => source.updateCells('Form Responses 2', 2, 1, ['x'])],
      ['appendRow', () => source.appendRow('Form Responses 2', ['x'])],
      ['deleteRow', () => source.deleteRow('Form Responses 2', 2)],
    ];
    for (const [name, attempt] of attempts) {
      await assert.rejects(attempt(), (err: Error) => {
        assert.ok(err instanceof SheetSourceError, `${name}: ${String(err)}`);
        assert.match(err.message, /no tab named "Form Responses 2"/, name);
        assert.match(err.message, new RegExp(ID), name);
        return true;
      });
    }
    assert.deepEqual(fake.getRows(ID, FORM), formRows());
  });

  test('an unknown spreadsheet (404) and one not shared with us (403)', async () => {
    const missing = new GoogleSheetsSource({
      spreadsheetId: 'nope',
      keyFile: account.keyFile,
      rootUrl,
    });
    await assert.rejects(missing.readRows(FORM), (err: Error) => {
      assert.ok(err instanceof SheetSourceError, String(err));
      assert.match(err.message, /spreadsheet nope not found/);
      return true;
    });
    fake.addSpreadsheet('private', { [FORM]: formRows() }, { sharedWith: ['owner@example.org'] });
    const unshared = new GoogleSheetsSource({
      spreadsheetId: 'private',
      keyFile: account.keyFile,
      rootUrl,
    });
    await assert.rejects(unshared.appendRow(FORM, ['x']), (err: Error) => {
      assert.ok(err instanceof SheetSourceError, String(err));
      assert.match(
        err.message,
        /share the spreadsheet with the service account kaizen-intake@kaizen-test\.iam\.gserviceaccount\.com/,
      );
      return true;
    });
  });

  test('503 and 429 are plain errors for the caller to retry, and the library does not retry', async () => {
    for (const status of [503, 429]) {
      fake.requests.length = 0;
      fake.failNext(1, status);
      await assert.rejects(source.readRows(FORM), (err: Error) => {
        assert.ok(!(err instanceof SheetSourceError), String(err));
        assert.match(err.message, new RegExp(`HTTP ${status}, retryable`));
        return true;
      });
      assert.equal(fake.requests.length, 1, `one request for ${status}`);
      assert.equal((await source.readRows(FORM)).length, 6, 'the next call succeeds');
    }
    fake.failNext(1, 503);
    await assert.rejects(source.appendRow(FORM, ['x']), /HTTP 503, retryable/);
    assert.deepEqual(fake.getRows(ID, FORM), formRows(), 'nothing appended');
  });

  test('a server that cannot be reached is a plain error', async () => {
    const offline = new GoogleSheetsSource({
      spreadsheetId: ID,
      keyFile: account.keyFile,
      rootUrl: 'http://127.0.0.1:1/',
    });
    await assert.rejects(offline.readRows(FORM), (err: Error) => {
      assert.ok(!(err instanceof SheetSourceError), String(err));
      assert.match(err.message, /ECONNREFUSED, retryable/);
      return true;
    });
  });

  test('a missing or broken key file is a SheetSourceError naming [intake] key_file', () => {
    const missing = join(dir, 'missing.json');
    assert.throws(
      () => new GoogleSheetsSource({ spreadsheetId: ID, keyFile: missing, rootUrl }),
      (err: Error) =>
        err instanceof SheetSourceError &&
        err.message.includes(`[intake] key_file ${missing}`) &&
        err.message.includes('ENOENT'),
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, readFileSync(account.keyFile, 'utf8').slice(0, 100));
    assert.throws(
      () => new GoogleSheetsSource({ spreadsheetId: ID, keyFile: broken, rootUrl }),
      (err: Error) => err instanceof SheetSourceError && /\[intake\] key_file/.test(err.message),
    );
    const notAKey = join(dir, 'not-a-key.json');
    writeFileSync(notAKey, '{"type":"authorized_user"}');
    assert.throws(
      () => new GoogleSheetsSource({ spreadsheetId: ID, keyFile: notAKey, rootUrl }),
      /\[intake\] key_file .*not a service-account key/,
    );
  });

  /** A raw request to the fake, with a token (or, given an account, a valid one). */
  function fetchAs(who: string | undefined | TestServiceAccount, path: string) {
    const token =
      typeof who === 'object'
        ? jwt(who, {
            iss: who.clientEmail,
            scope: SHEETS_SCOPE,
            exp: Math.floor(Date.now() / 1000) + 60,
          })
        : who;
    return fetch(`${rootUrl}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  }
});
