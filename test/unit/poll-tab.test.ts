import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IN_PROGRESS, pollTab, StartRefused } from '../../activities/sheets/keyed-tab';
import type { RowOutcome } from '../../intake/keyed-rows';

type Req = { key: string; row: number; email: string };
const request = (row: number): RowOutcome<Req> => ({
  kind: 'request',
  request: { key: `k${row}`, row, email: `p${row}@example.org` },
});

test('a poll starts only rows without a Status the system wrote, and marks them in progress', async () => {
  const statuses = [
    '',
    '',
    'in progress since 2026-11-29 06:00 UTC',
    'failed: x',
    'invalid: y',
    'abandoned: z',
    '',
  ];
  const rows = [['Status'], ...statuses.map((s) => [s])];
  const asked: string[] = [];
  const { report, marks } = await pollTab(
    rows,
    { columns: { status: 1 }, rows: [2, 3, 4, 5, 6, 7, 8].map(request) },
    async (r) => {
      asked.push(r.key);
      return r.key === 'k3' ? 'already' : r.key === 'k8' ? 'ended' : 'started';
    },
    new Date(Date.UTC(2026, 10, 29, 7, 30)),
  );
  // k2: new; k3: running, started by a poll that wrote no mark; k6: an invalid row now fixed;
  // k8: its workflow ended and an admin cleared the Status.
  assert.deepEqual(asked.sort(), ['k2', 'k3', 'k6', 'k8']);
  assert.equal(report.started, 2);
  assert.equal(report.alreadyStarted, 4); // k3, k8, and the two rows that carry a Status
  assert.equal(report.waitingForAdmin, 1);
  const byKey = Object.fromEntries(marks.map((m) => [m.key, m]));
  assert.equal(byKey.k2?.status, `${IN_PROGRESS} since 2026-11-29 07:30 UTC`);
  assert.equal(byKey.k6?.status, `${IN_PROGRESS} since 2026-11-29 07:30 UTC`);
  assert.equal(byKey.k3?.status, `${IN_PROGRESS} since 2026-11-29 07:30 UTC`);
  assert.equal(byKey.k8, undefined, 'an ended workflow is not in progress');
  // The mark never covers an outcome the workflow wrote meanwhile.
  assert.equal(byKey.k2?.onlyOver?.(''), true);
  assert.equal(byKey.k2?.onlyOver?.('invalid: old'), true);
  assert.equal(byKey.k2?.onlyOver?.('failed: project name taken'), false);
});

test('a row Temporal refuses to start is marked invalid once; the other rows start', async () => {
  const poll = (status: string) =>
    pollTab(
      [['Status'], [status], ['']],
      { columns: { status: 1 }, rows: [2, 3].map(request) },
      async (r) => {
        if (r.key === 'k2') throw new StartRefused('WorkflowId length exceeds limit.');
        return 'started';
      },
    );
  const first = await poll('');
  assert.equal(first.report.started, 1);
  assert.equal(first.report.invalid, 1);
  assert.deepEqual(first.report.newlyInvalid, [
    'row 2 (p2@example.org): could not be started: WorkflowId length exceeds limit.',
  ]);
  const mark = first.marks.find((m) => m.key === 'k2');
  assert.equal(mark?.status, 'invalid: could not be started: WorkflowId length exceeds limit.');
  // The next poll tries again (the cause may be gone) but tells the admins no second time.
  const again = await poll(mark.status);
  assert.deepEqual(again.report.newlyInvalid, []);
  assert.equal(
    again.marks.find((m) => m.key === 'k2'),
    undefined,
  );
  // Any other error is the poll's: it is retried whole.
  await assert.rejects(
    pollTab([['Status'], ['']], { columns: { status: 1 }, rows: [request(2)] }, async () => {
      throw new Error('connection refused');
    }),
    /connection refused/,
  );
});
