// Quota-sheet rows and the arithmetic of a quota change: pure, no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUOTA_COLUMNS as C } from '../../shared/sheet-columns';
import {
  parseEndDate,
  parseQuotaSheet,
  parseQuotaValue,
  type QuotaRowOutcome,
} from '../../intake/quota-rows';
import { SheetLayoutError } from '../../intake/sheet-layout';
import {
  formatQuotaTable,
  keysToRead,
  planQuotaChange,
  planValues,
} from '../../shared/quota-change';

const NOW = new Date('2026-11-29T12:00:00Z');
const HEADER = Object.values(C);
type Fields = Partial<Record<keyof typeof C, string>>;
const row = (fields: Fields) => {
  const all: Fields = {
    approved: 'Approved',
    timestamp: '11/28/2026 10:00:00',
    email: 'Ada@Example.org',
    firstName: 'Ada',
    lastName: 'Lovelace',
    project: 'analytical-engine',
    ...fields,
  };
  return (Object.keys(C) as (keyof typeof C)[]).map((k) => all[k] ?? '');
};
const parseOne = (fields: Fields): QuotaRowOutcome =>
  parseQuotaSheet([HEADER, row(fields)], C, NOW).rows[0]!;
const reasonOf = (fields: Fields) => {
  const outcome = parseOne(fields);
  assert.equal(outcome.kind, 'invalid', JSON.stringify(outcome));
  return (outcome as { reason: string }).reason;
};

test('a valid row: blank cells unchanged, ram in GB becomes MB, -1 is unlimited', () => {
  const outcome = parseOne({ cores: '40', ram: '100', floatingip: '-1', volumes: ' 12 ' });
  assert.equal(outcome.kind, 'request');
  if (outcome.kind !== 'request') return;
  assert.deepEqual(outcome.request.changes, {
    cores: 40,
    ram: 102_400,
    floatingip: -1,
    volumes: 12,
  });
  assert.equal(outcome.request.key, 'ada@example.org|11/28/2026 10:00:00');
  assert.equal(outcome.request.endsAt, undefined);
});

test('rows not approved are skipped, whatever they hold', () => {
  assert.equal(parseOne({ approved: '', cores: 'lots' }).kind, 'not-approved');
});

test('each bad value names its column, and the whole row is refused', () => {
  assert.match(
    reasonOf({ cores: 'lots' }),
    /"cores" must be a whole number, or -1 for unlimited \(got "lots"\)/,
  );
  assert.match(reasonOf({ instances: '-5' }), /"instances" must not be negative, except -1/);
  assert.match(reasonOf({ ram: '2.5' }), /"ram" must be a whole number/);
  assert.match(reasonOf({ gigabytes: '99999999999' }), /"gigabytes" must be at most 2147483647/);
  assert.match(reasonOf({ ram: '3000000' }), /"ram" must be at most 2097151/);
  // A good value beside a bad one is not applied on its own.
  assert.equal(parseOne({ cores: '40', volumes: 'x' }).kind, 'invalid');
  assert.match(reasonOf({}), /no quota value given/);
  assert.match(reasonOf({ project: '', cores: '1' }), /"Project" is empty/);
  assert.match(reasonOf({ email: 'nobody', cores: '1' }), /"Email" is not an e-mail address/);
});

test('the quota sheet refuses the same hostile emails, timestamps and names as the access sheet', () => {
  assert.match(reasonOf({ cores: '4', email: 'q3\u202e@example.org' }), /"Email" is not an e-mail/);
  assert.match(
    reasonOf({ cores: '4', timestamp: 'x'.repeat(65) }),
    /"Timestamp" must be at most 64/,
  );
  assert.match(reasonOf({ cores: '4', lastName: 'Love\r\nBcc: x@y.org' }), /"Last name" must be/);
});

test('a temporary change needs an end date in the future', () => {
  assert.match(reasonOf({ cores: '1', duration: 'Temporary' }), /"End date" must be a date/);
  assert.match(
    reasonOf({ cores: '1', duration: 'Temporary', endDate: '11/1/2026' }),
    /"End date" 11\/1\/2026 has passed/,
  );
  assert.match(reasonOf({ cores: '1', duration: 'for a while' }), /must be Temporary or Permanent/);
  const outcome = parseOne({ cores: '1', duration: 'temporary', endDate: '1/31/2027' });
  assert.equal(outcome.kind === 'request' && outcome.request.endsAt, '2027-01-31T00:00:00.000Z');
  const permanent = parseOne({ cores: '1', duration: 'Permanent', endDate: '1/31/2027' });
  assert.equal(permanent.kind === 'request' && permanent.request.endsAt, undefined);
});

test('end dates: ISO dates and times, the US form, and impossible dates refused', () => {
  assert.equal(parseEndDate('2027-02-28')?.toISOString(), '2027-02-28T00:00:00.000Z');
  assert.equal(parseEndDate('2027-02-28T10:30:00Z')?.toISOString(), '2027-02-28T10:30:00.000Z');
  assert.equal(parseEndDate('2/3/2027')?.toISOString(), '2027-02-03T00:00:00.000Z');
  assert.equal(parseEndDate('2027-02-30'), undefined);
  assert.equal(parseEndDate('next week'), undefined);
});

test('values: units and limits', () => {
  assert.equal(parseQuotaValue('2', 1024), 2048);
  assert.equal(parseQuotaValue('-1', 1024), -1);
  assert.equal(typeof parseQuotaValue('1e3', 1), 'string');
});

test('a sheet without a Project column says which setting to change', () => {
  const header = HEADER.filter((h) => h !== C.project);
  assert.throws(
    () => parseQuotaSheet([header], C, NOW),
    (err) =>
      err instanceof SheetLayoutError &&
      /no column "Project".*\[quota_columns\] project/.test(err.message),
  );
});

const CURRENT = { instances: 10, network: 5, port: 155, cores: 20 };

test('port rule: added networks times the instance quota, plus 5', () => {
  assert.deepEqual(keysToRead({ network: 7 }).sort(), ['instances', 'network', 'port']);
  assert.deepEqual(planQuotaChange(CURRENT, { network: 7 }), [
    { key: 'network', old: 5, new: 7 },
    { key: 'port', old: 155, new: 155 + 2 * 10 + 5 },
  ]);
  // Both grow: the instance quota after the change counts.
  assert.deepEqual(planQuotaChange(CURRENT, { network: 6, instances: 20 }).at(-1), {
    key: 'port',
    old: 155,
    new: 155 + 1 * 20 + 5,
  });
  // Only instances grow: no network added, the 5 spare ports.
  assert.deepEqual(planQuotaChange(CURRENT, { instances: 12 }).at(-1), {
    key: 'port',
    old: 155,
    new: 160,
  });
});

test('port rule: not applied when a port value is given, when nothing grows, or to unlimited', () => {
  assert.deepEqual(planQuotaChange(CURRENT, { network: 7, port: 300 }), [
    { key: 'network', old: 5, new: 7 },
    { key: 'port', old: 155, new: 300 },
  ]);
  assert.deepEqual(planQuotaChange(CURRENT, { instances: 5 }), [
    { key: 'instances', old: 10, new: 5 },
  ]);
  assert.equal(
    planQuotaChange({ ...CURRENT, port: -1 }, { network: 9 }).find((c) => c.key === 'port'),
    undefined,
  );
  assert.deepEqual(planQuotaChange(CURRENT, { instances: -1 }).at(-1), {
    key: 'port',
    old: 155,
    new: -1,
  });
  assert.deepEqual(keysToRead({ cores: 40 }), ['cores']);
});

test('unchanged values are left out; revert values are the old ones', () => {
  const plan = planQuotaChange(CURRENT, { cores: 20, instances: 8 });
  assert.deepEqual(plan, [{ key: 'instances', old: 10, new: 8 }]);
  assert.deepEqual(planValues(plan, 'forward'), { instances: 8 });
  assert.deepEqual(planValues(plan, 'revert'), { instances: 10 });
  assert.throws(() => planQuotaChange({}, { cores: 1 }), /current quota cores was not read/);
});

test('the mail table lists old -> new, ram in MB, -1 as unlimited', () => {
  const table = formatQuotaTable([
    { key: 'ram', old: 51200, new: 102400 },
    { key: 'floatingip', old: 2, new: -1 },
  ]);
  assert.equal(table, '  ram (MB)    51200 -> 102400\n  floatingip      2 -> unlimited');
});
