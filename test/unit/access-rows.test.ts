import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ACCESS_COLUMNS as C } from '../../shared/sheet-columns';
import {
  findRowByKey,
  parseAccessSheet,
  SheetLayoutError,
  type AccessRequest,
} from '../../intake/access-rows';

const HEADER = Object.values(C).filter((h) => h !== C.status);

function row(fields: Partial<Record<keyof typeof C, string>>): string[] {
  const defaults = {
    approved: 'approved',
    timestamp: '2026-11-29 09:00:00',
    email: 'ada@example.org',
    firstName: 'Ada',
    lastName: 'Lovelace',
    existingAccount: 'No',
    pin: '1234',
    newProjectName: 'engines',
  };
  const all = { ...defaults, ...fields } as Record<string, string>;
  return (Object.keys(C) as (keyof typeof C)[])
    .filter((k) => k !== 'status')
    .map((k) => all[k] ?? '');
}

const requests = (rows: string[][]): AccessRequest[] =>
  parseAccessSheet([HEADER, ...rows]).rows.flatMap((r) =>
    r.kind === 'request' ? [r.request] : [],
  );

test('the four kinds of request', () => {
  const [newNew, newJoin, oldNew, oldJoin] = requests([
    row({}),
    row({ email: 'b@example.org', newProjectName: '', existingProjectName: 'engines' }),
    row({ email: 'c@example.org', existingAccount: 'Yes', pin: '', newProjectName: 'looms' }),
    row({
      email: 'd@example.org',
      existingAccount: 'yes',
      pin: '',
      newProjectName: '',
      existingProjectName: 'looms',
    }),
  ]);
  assert.deepEqual(
    [newNew!.existingUser, newNew!.project],
    [false, { mode: 'new', name: 'engines', description: '' }],
  );
  assert.deepEqual(
    [newJoin!.existingUser, newJoin!.project],
    [false, { mode: 'existing', name: 'engines' }],
  );
  assert.deepEqual([oldNew!.existingUser, oldNew!.pin], [true, undefined]);
  assert.deepEqual(oldJoin!.project, { mode: 'existing', name: 'looms' });
});

test('additional users are split and validated', () => {
  const [r] = requests([row({ additionalUsers: 'x@example.org, Y@example.org;z@example.org' })]);
  assert.deepEqual(r!.additionalUsers, ['x@example.org', 'y@example.org', 'z@example.org']);
  const parsed = parseAccessSheet([HEADER, row({ additionalUsers: 'x@example.org, nope' })]);
  assert.equal(parsed.rows[0]!.kind, 'invalid');
});

test('columns are found by header, in any order; blank rows and unapproved rows are skipped', () => {
  const reversed = [
    [...HEADER].reverse(),
    [...row({})].reverse(),
    HEADER.map(() => ''),
    [...row({ approved: '' })].reverse(),
  ];
  const parsed = parseAccessSheet(reversed);
  assert.deepEqual(
    parsed.rows.map((r) => r.kind),
    ['request', 'not-approved'],
  );
  const second = parsed.rows[1]!;
  assert.equal(second.kind === 'not-approved' && second.row, 4, 'row numbers count the blank row');
});

test('a bad row names the column and the fix; the others still parse', () => {
  const parsed = parseAccessSheet([
    HEADER,
    row({ email: 'not-an-email', pin: '12', newProjectName: '-bad/name' }),
    row({ email: 'ok@example.org' }),
  ]);
  const [bad, good] = parsed.rows;
  assert.ok(bad?.kind === 'invalid');
  assert.match(bad.reason, /"Email" is not an e-mail address/);
  assert.match(bad.reason, /"PIN" must be exactly 4 digits/);
  assert.match(bad.reason, /"New project name" must be 1-64 letters.*\(not "-bad\/name"\)/);
  assert.equal(good!.kind, 'request');
});

test('a sheet without a required column is refused with the fix', () => {
  assert.throws(
    () => parseAccessSheet([HEADER.filter((h) => h !== 'PIN'), []]),
    (err: unknown) =>
      err instanceof SheetLayoutError && /no column "PIN".*\[columns\] pin/.test(err.message),
  );
});

test('a row is found again by its key after rows moved', () => {
  const rows = [HEADER, row({ email: 'a@example.org' }), row({ email: 'b@example.org' })];
  const { columns } = parseAccessSheet(rows);
  const key = requests(rows)[1]!.key;
  assert.equal(findRowByKey(rows, columns, key), 3);
  rows.splice(1, 1);
  assert.equal(findRowByKey(rows, columns, key), 2);
  assert.equal(findRowByKey(rows, columns, 'gone|x'), undefined);
});

test('a thousand random malformed rows never throw; each gets a reason', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const junk = () => {
    const pool = [
      '',
      ' ',
      'approved',
      'Yes',
      'No',
      '12345',
      'a@b',
      '<script>x</script>',
      '\u00e9\u00e8'.repeat(50),
      'x'.repeat(300),
      'p,q',
      '\n',
    ];
    return pool[Math.floor(random() * pool.length)]!;
  };
  const rows = Array.from({ length: 1000 }, () => {
    const r = HEADER.map(junk);
    r[0] = 'approved';
    return r;
  });
  const parsed = parseAccessSheet([HEADER, ...rows]);
  assert.equal(parsed.rows.length, 1000);
  for (const r of parsed.rows) {
    if (r.kind === 'invalid') assert.ok(r.reason.length > 0 && r.reason.length < 2000);
  }
  assert.ok(parsed.rows.filter((r) => r.kind === 'invalid').length > 900);
});

test('controls, invisible and direction-changing characters, and keys too long are refused by column', () => {
  const reasonOf = (fields: Parameters<typeof row>[0]) => {
    const [outcome] = parseAccessSheet([HEADER, row(fields)]).rows;
    assert.ok(outcome?.kind === 'invalid', `accepted: ${JSON.stringify(fields)}`);
    return outcome.reason;
  };
  for (const email of [
    'ada\u0000@example.org',
    'ada\u202e@example.org',
    'ada\u200b@example.org',
    'zoë@example.org',
    `${'l'.repeat(250)}@example.org`,
  ])
    assert.match(
      reasonOf({ email }),
      /"Email" is not an e-mail address: name@example.org, at most 254/,
    );
  for (const timestamp of ['2026-11-29\r\n09:00', `2026 ${'9'.repeat(70)}`, '2026\ufffe'])
    assert.match(reasonOf({ timestamp }), /"Timestamp" must be at most 64 characters/);
  for (const firstName of ['A\u0007da', 'A\u202eda', 'Ada\tB', 'Ada\uffff'])
    assert.match(reasonOf({ firstName }), /"First name" must be at most 100 characters, without/);
  assert.match(
    reasonOf({ projectDescription: 'engines\u0000' }),
    /"Project description" must be at most 255 characters, without control/,
  );
  // What people really type stays accepted: accents, scripts, emoji with their joiners.
  const [ok] = parseAccessSheet([
    HEADER,
    row({ firstName: 'Zoë 👩🏽‍💻', lastName: 'שָׁלוֹם مرحبا', projectDescription: 'Ünïcode ✓' }),
  ]).rows;
  assert.equal(ok?.kind, 'request');
});
