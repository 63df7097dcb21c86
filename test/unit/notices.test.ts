// Helpdesk tickets and approver digests over days of hourly checks: pure, no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueNotices, formatStamp, parseFormTimestamp, parseStamp } from '../../intake/notices';
import { digestLine, type NoticeRow } from '../../shared/activity-contracts';

const HOUR = 3_600_000;
const POLICY = { tickets: true, digest: true, startMs: 24 * HOUR, intervalMs: 24 * HOUR };
const T0 = new Date('2026-11-02T08:00:00Z');

function row(fields: Partial<NoticeRow>): NoticeRow {
  return {
    key: fields.email ?? 'a@example.org',
    approved: false,
    timestamp: '11/2/2026 8:00:00',
    email: 'a@example.org',
    firstName: 'Ada',
    lastName: 'Lovelace',
    project: 'engine',
    comment: '',
    requestType: 'New account, new project',
    helpdeskNotified: '',
    reminderSent: '',
    ...fields,
  };
}

test('over four days of hourly checks: one ticket per approved row, a reminder every 24 h', () => {
  const rows = [
    row({ email: 'waiting@example.org', key: 'waiting' }),
    row({ email: 'approved@example.org', key: 'approved', approved: true }),
    row({ email: 'late@example.org', key: 'late', timestamp: '11/3/2026 20:00:00' }),
  ];
  const tickets: string[] = [];
  const reminders: Record<string, number[]> = { waiting: [], late: [] };
  for (let hour = 0; hour <= 96; hour++) {
    const now = new Date(T0.getTime() + hour * HOUR);
    const due = dueNotices(rows, now, POLICY);
    for (const r of due.tickets) {
      tickets.push(r.key);
      r.helpdeskNotified = formatStamp(now);
    }
    for (const r of due.digest) {
      reminders[r.key]!.push(hour);
      r.reminderSent = formatStamp(now);
    }
  }
  assert.deepEqual(tickets, ['approved'], 'one ticket, at the first check');
  assert.deepEqual(reminders.waiting, [24, 48, 72, 96]);
  assert.deepEqual(reminders.late, [60, 84], 'submitted at hour 36: first mentioned 24 h later');
});

test('nothing is due when the helpdesk or the approvers have no address', () => {
  const rows = [row({ approved: true }), row({ key: 'b' })];
  const later = new Date(T0.getTime() + 48 * HOUR);
  assert.deepEqual(dueNotices(rows, later, { ...POLICY, tickets: false, digest: false }), {
    tickets: [],
    digest: [],
  });
});

test('a row whose timestamp cannot be read is not put in a digest', () => {
  const due = dueNotices([row({ timestamp: 'yesterday' })], new Date('2027-01-01'), POLICY);
  assert.deepEqual(due.digest, []);
});

test('timestamps: the form US style, ISO, and the stamp written back', () => {
  assert.equal(parseFormTimestamp('11/2/2026 8:00:00')?.toISOString(), '2026-11-02T08:00:00.000Z');
  assert.equal(
    parseFormTimestamp('2026-11-02 08:00:00')?.toISOString(),
    '2026-11-02T08:00:00.000Z',
  );
  assert.equal(
    parseFormTimestamp('2026-11-02T08:00:00.000Z')?.toISOString(),
    '2026-11-02T08:00:00.000Z',
  );
  assert.equal(parseFormTimestamp('soon'), undefined);
  assert.equal(formatStamp(T0), '02 Nov 2026 08:00:00');
  assert.equal(parseStamp('02 Nov 2026 08:00:00')?.getTime(), T0.getTime());
  assert.equal(parseStamp('02 Foo 2026 08:00:00'), undefined);
});

test('a digest line names the request, the person, the project and the comment', () => {
  assert.equal(
    digestLine(row({ comment: 'for\nclass' })),
    '  - New account, new project: Ada Lovelace <a@example.org>, project engine — for class',
  );
});
