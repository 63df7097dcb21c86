// The checks of the /register and /quota-request forms: each problem on its field, and never
// looser than the request sheets' own parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  quotaFormProblems,
  quotaValues,
  registerFormProblems,
  registerValues,
} from '../../intake/form-rules';
import { parseAccessSheet } from '../../intake/access-rows';
import { parseQuotaSheet } from '../../intake/quota-rows';
import {
  REGISTER_FORM_COLUMNS,
  QUOTA_FORM_COLUMNS,
  type QuotaFormColumn,
  type RegisterFormColumn,
} from '../../shared/form-request-contract';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';

const NOW = new Date('2026-11-29T12:00:00Z');
type Register = Record<RegisterFormColumn, string>;
type Quota = Record<QuotaFormColumn, string>;

const REGISTER: Register = {
  firstName: 'Grace',
  lastName: 'Hopper',
  email: 'grace@example.org',
  organisation: 'Harvard Computation Lab',
  role: 'Researcher',
  phone: '+1 617 555 0100',
  sponsor: 'Howard Aiken',
  existingAccount: 'No',
  newOrExisting: 'new',
  newProjectName: 'compilers',
  projectDescription: 'Compilers for the Mark I',
  existingProjectName: '',
  additionalUsers: 'kay@example.org, jean@example.org',
  projectContactName: 'Grace Hopper',
  projectContactEmail: 'grace@example.org',
  comment: 'for the A-0 system',
};
const register = (over: Partial<Register>, pin = '2468', pinAgain = pin) =>
  registerFormProblems({ ...REGISTER, ...over }, pin, pinAgain);

/** A permanent change of cores and volumes; the other quotas left blank. */
const QUOTA: Quota = quotaValues({
  firstName: 'Grace',
  lastName: 'Hopper',
  email: 'grace@example.org',
  organisation: 'Harvard Computation Lab',
  project: 'analytical-engine',
  duration: 'Permanent',
  cores: '32',
  volumes: '14',
  comments: 'a larger compile farm',
});
const quota = (over: Partial<Quota>) => quotaFormProblems({ ...QUOTA, ...over }, NOW);

/** Asserts exactly which fields have a problem, and returns the problems. */
function onlyOn(problems: Partial<Record<string, string>>, ...fields: string[]) {
  assert.deepEqual(Object.keys(problems).sort(), [...fields].sort(), JSON.stringify(problems));
  return problems;
}

test('valid register forms have no problems: new user, existing user without PIN, joining', () => {
  onlyOn(register({}));
  onlyOn(register({ existingAccount: 'Yes' }, ''));
  onlyOn(register({ newOrExisting: 'existing', newProjectName: '', existingProjectName: 'looms' }));
  onlyOn(register({ firstName: 'Zoë 👩🏽‍💻', lastName: 'שָׁלוֹם', projectContactEmail: '' }));
});

test('e-mail: required, and a real address; messages use the form’s words', () => {
  assert.match(onlyOn(register({ email: '' }), 'email').email!, /^Give your E-mail address/);
  const bad = onlyOn(register({ email: 'x@' }), 'email').email!;
  assert.match(bad, /"E-mail address" is not an e-mail address: name@example.org/);
  assert.doesNotMatch(bad, /"Email"/, 'not the sheet header');
  onlyOn(register({ email: 'ada\u202e@example.org' }), 'email');
});

test('names and free text: no < >, no control or invisible characters, within limits', () => {
  assert.match(
    onlyOn(register({ firstName: 'Eve<script>' }), 'firstName').firstName!,
    /at most 100/,
  );
  onlyOn(register({ lastName: 'Love\r\nBcc: x@y.org' }), 'lastName');
  onlyOn(register({ lastName: 'x'.repeat(101) }), 'lastName');
  onlyOn(register({ firstName: '' }), 'firstName');
  onlyOn(register({ existingAccount: 'Yes', firstName: '' }, ''));
  for (const field of ['organisation', 'role', 'sponsor', 'projectContactName'] as const) {
    const message = onlyOn(register({ [field]: 'a\u0007b' }), field)[field]!;
    assert.match(message, /without control or invisible characters\.$/);
    onlyOn(register({ [field]: 'x'.repeat(101) }), field);
    onlyOn(register({ [field]: 'x'.repeat(100) }));
  }
  onlyOn(register({ phone: '1'.repeat(41) }), 'phone');
  onlyOn(register({ phone: '+44\u200b20' }), 'phone');
  onlyOn(register({ comment: 'x'.repeat(256) }), 'comment');
  onlyOn(register({ comment: 'x'.repeat(255) }));
  onlyOn(register({ projectDescription: 'x'.repeat(256) }), 'projectDescription');
  onlyOn(register({ projectContactEmail: 'nope' }), 'projectContactEmail');
});

test('project: the chosen kind, its name filled and valid', () => {
  assert.match(
    onlyOn(register({ newProjectName: 'no/slash' }), 'newProjectName').newProjectName!,
    /^"New project name" must be 1-64 letters.*\(not "no\/slash"\)\.$/,
  );
  onlyOn(register({ newProjectName: '' }), 'newProjectName');
  onlyOn(register({ newOrExisting: 'existing', newProjectName: '' }), 'existingProjectName');
  onlyOn(
    register({ newOrExisting: 'existing', newProjectName: '', existingProjectName: '-x' }),
    'existingProjectName',
  );
  onlyOn(register({ newOrExisting: '' }), 'newOrExisting');
  onlyOn(register({ existingAccount: 'maybe' }), 'existingAccount');
  onlyOn(register({ existingAccount: '' }), 'existingAccount');
});

test('PIN: a new user types the same digits twice; an existing user needs none', () => {
  assert.match(onlyOn(register({}, '2468', '2469'), 'pinAgain').pinAgain!, /^The two PINs differ/);
  assert.match(onlyOn(register({}, '', ''), 'pin').pin!, /^Choose a PIN of 4 digits/);
  onlyOn(register({}, '12', '12'), 'pin');
  onlyOn(register({}, 'abcd', 'abcd'), 'pin');
  // The PIN cell the system writes for a form is no PIN a person may type.
  const cell = 'set on the form, request 0b0e4a2c-4f0e-4a7e-9d55-3f7e8a9b1c2d';
  onlyOn(register({}, cell, cell), 'pin');
  onlyOn(register({ existingAccount: 'Yes' }, '', ''));
  onlyOn(register({ existingAccount: 'Yes' }, '1', '2'));
});

test('additional users: every address must be one', () => {
  const bad = onlyOn(register({ additionalUsers: 'kay@example.org, nope' }), 'additionalUsers');
  assert.match(bad.additionalUsers!, /invalid addresses: nope/);
});

test('registerValues: trimmed, e-mail in lower case, the unused project fields cleared', () => {
  const values = registerValues({
    email: '  Grace@Example.ORG ',
    firstName: ' Grace ',
    newOrExisting: 'new',
    newProjectName: 'compilers',
    existingProjectName: 'looms',
    comment: 'line one\r\nline two',
  });
  assert.deepEqual(Object.keys(values).sort(), [...REGISTER_FORM_COLUMNS].sort());
  assert.equal(values.email, 'grace@example.org');
  assert.equal(values.firstName, 'Grace');
  assert.equal(values.existingProjectName, '');
  assert.equal(values.comment, 'line one line two');
  assert.equal(values.role, '');
  const joining = registerValues({
    newOrExisting: 'existing',
    newProjectName: 'x',
    projectDescription: 'y',
    existingProjectName: 'looms',
  });
  assert.deepEqual(
    [joining.newProjectName, joining.projectDescription, joining.existingProjectName],
    ['', '', 'looms'],
  );
});

test('valid quota forms have no problems: permanent, and temporary until a later date', () => {
  onlyOn(quota({}));
  onlyOn(quota({ duration: 'Temporary', endDate: '2027-01-31' }));
  onlyOn(quota({ firstName: '', lastName: '', organisation: '' }));
});

test('quota values: at least one, whole numbers of 0 or more, within limits', () => {
  assert.match(
    onlyOn(quota({ cores: '', volumes: '' }), 'instances').instances!,
    /^Give at least one new quota value/,
  );
  assert.match(onlyOn(quota({ cores: '-5' }), 'cores').cores!, /^CPU cores must be a whole/);
  onlyOn(quota({ cores: '-1' }), 'cores');
  onlyOn(quota({ ram: '2.5' }), 'ram');
  onlyOn(quota({ cores: 'lots' }), 'cores');
  assert.match(
    onlyOn(quota({ gigabytes: '99999999999' }), 'gigabytes').gigabytes!,
    /"Volume storage \(GB\)" must be at most 2147483647/,
  );
  assert.match(onlyOn(quota({ ram: '3000000' }), 'ram').ram!, /must be at most 2097151/);
  onlyOn(quota({ ram: '0' }));
});

test('quota duration: an end date always and only for a temporary change', () => {
  assert.match(onlyOn(quota({ duration: 'Temporary' }), 'endDate').endDate!, /YYYY-MM-DD/);
  assert.match(
    onlyOn(quota({ duration: 'Permanent', endDate: '2027-01-31' }), 'endDate').endDate!,
    /^Leave the end date empty/,
  );
  onlyOn(quota({ duration: 'Temporary', endDate: '2026-11-01' }), 'endDate');
  onlyOn(quota({ duration: 'Temporary', endDate: '2027-02-30' }), 'endDate');
  onlyOn(quota({ duration: 'Temporary', endDate: 'next week' }), 'endDate');
  onlyOn(quota({ duration: '' }), 'duration');
  onlyOn(quota({ duration: 'forever' }), 'duration');
});

test('quota: a reason, an e-mail, a project; no hostile text', () => {
  assert.match(onlyOn(quota({ comments: '' }), 'comments').comments!, /^Say why/);
  onlyOn(quota({ comments: 'x'.repeat(256) }), 'comments');
  onlyOn(quota({ comments: 'a\u0000b' }), 'comments');
  onlyOn(quota({ email: '' }), 'email');
  onlyOn(quota({ email: 'nobody' }), 'email');
  onlyOn(quota({ project: '' }), 'project');
  onlyOn(quota({ project: 'no/slash' }), 'project');
  onlyOn(quota({ lastName: 'Love<' }), 'lastName');
  onlyOn(quota({ organisation: 'a\u202eb' }), 'organisation');
  const values = quotaValues({ email: ' Ada@Example.org ', cores: ' 4 ', comments: 'a\nb' });
  assert.deepEqual(Object.keys(values).sort(), [...QUOTA_FORM_COLUMNS].sort());
  assert.deepEqual([values.email, values.cores, values.comments], ['ada@example.org', '4', 'a b']);
});

/** Random values, drawn from what people and robots send. */
function randomValues<C extends string>(columns: readonly C[], seed: number) {
  const pool = [
    ...['', ' x', '<script>', 'a\u0000b', 'a\u202eb', 'x'.repeat(300), 'é'.repeat(101)],
    ...['Yes', 'No', 'yes', 'new', 'existing', 'Permanent', 'Temporary', '-1', '-5', '0'],
    ...['12', '99999999999', 'a@b', 'ok@example.org', 'a@example.org nope', '2027-01-31'],
    ...['1/31/2027', '2026-01-01', 'engines', '-bad', 'p,q'],
  ];
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Object.fromEntries(
    columns.map((c) => [c, pool[Math.floor(next() * pool.length)]!]),
  ) as Record<C, string>;
}

/** The row the sheet would hold, under its default header, parsed by the sheet's parser. */
function sheetRow<C extends string>(
  columns: Record<C, string>,
  values: Partial<Record<C, string>>,
) {
  const keys = Object.keys(columns) as C[];
  return [Object.values(columns) as string[], keys.map((k) => values[k] ?? '')];
}

test('the form refuses whatever the sheet refuses, on the field the sheet names', () => {
  const agree = (check: (seed: number) => [sheet: object | undefined, form: object]) => {
    let refused = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const [outcome, form] = check(seed);
      const sheet = outcome as { problems?: { column: string }[] } | undefined;
      if (!sheet?.problems) continue;
      refused += 1;
      for (const { column } of sheet.problems) assert.ok(column in form, column);
    }
    assert.ok(refused > 500, `only ${refused} refused`);
  };
  const approved = { approved: 'approved', timestamp: '2026-11-29' };
  agree((seed) => {
    const values = { ...REGISTER, ...randomValues(REGISTER_FORM_COLUMNS, seed) };
    const pin = seed % 3 === 0 ? '12a4' : '2468';
    const [sheet] = parseAccessSheet(sheetRow(A, { ...values, ...approved, pin })).rows;
    return [sheet, registerFormProblems(values, pin, pin)];
  });
  agree((seed) => {
    const values = { ...QUOTA, ...randomValues(QUOTA_FORM_COLUMNS, seed) };
    const [sheet] = parseQuotaSheet(sheetRow(Q, { ...values, ...approved }), Q, NOW).rows;
    return [sheet, quotaFormProblems(values, NOW)];
  });
});

test('sheet problems carry their column, and the joined reason is unchanged', () => {
  const rows = sheetRow(A, { approved: 'approved', timestamp: 't', email: 'x', pin: '1' });
  const [outcome] = parseAccessSheet(rows).rows;
  assert.ok(outcome?.kind === 'invalid');
  assert.deepEqual(
    outcome.problems.map((p) => p.column),
    ['email', 'existingAccount', 'firstName', 'lastName', 'pin', 'newProjectName'],
  );
  assert.equal(outcome.reason, outcome.problems.map((p) => p.message).join('; '));
  const joining = sheetRow(A, {
    ...REGISTER,
    approved: 'approved',
    timestamp: 't',
    pin: '2468',
    newOrExisting: 'Existing project',
    newProjectName: '',
  });
  const [join] = parseAccessSheet(joining).rows;
  assert.deepEqual(join?.kind === 'invalid' && join.problems.map((p) => p.column), [
    'existingProjectName',
  ]);
});

test('a form-written PIN cell is accepted by the sheet as the request, never as a PIN', () => {
  const id = '0b0e4a2c-4f0e-4a7e-9d55-3f7e8a9b1c2d';
  const rows = sheetRow(A, {
    ...REGISTER,
    approved: 'approved',
    timestamp: 't',
    pin: `set on the form, request ${id}`,
  });
  const [outcome] = parseAccessSheet(rows).rows;
  assert.ok(outcome?.kind === 'request', JSON.stringify(outcome));
  assert.equal(outcome.request.pinRequest, id);
  assert.equal(outcome.request.pin, undefined);
});
