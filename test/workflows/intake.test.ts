// The scheduled intake workflows with mocked sheet activities on the time-skipping test server:
// pollRegistrations (read both sheets, tell the admins of bad rows) and checkRequests (helpdesk
// tickets and the approvers' digest, each stamped once mailed).
//   node --import tsx --test test/workflows/intake.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { FailureType } from '../../shared/failures';
import {
  digestLine,
  type DueNotices,
  type NoticeRow,
  type PollReport,
} from '../../shared/activity-contracts';
import { checkRequests, pollRegistrations } from '../../workflows';
import {
  MINUTE,
  recorded,
  unique,
  describeWorkflows,
  type Activities,
  type Recorded,
} from './support';

const SHEET_LINK = 'https://docs.example.org/sheet/1';

describeWorkflows('intake workflows (mocked activities)', (wf) => {
  const sendMail: Activities['sendMail'] = async ({ messageKey }) => ({
    messageId: `<${messageKey}>`,
  });

  const report = (fields: Partial<PollReport> = {}): PollReport => ({
    approved: 0,
    started: 0,
    alreadyStarted: 0,
    invalid: 0,
    waitingForAdmin: 0,
    newlyInvalid: [],
    ...fields,
  });

  describe('pollRegistrations', () => {
    const poll = (taskQueue: string) =>
      wf.env.client.workflow.start(pollRegistrations, { taskQueue, workflowId: unique('poll') });

    test('both sheets read; one admin mail per sheet with new bad rows, at most 50 listed', async () => {
      const bad = Array.from({ length: 53 }, (_, i) => `row ${i + 2} (x${i}@example.org): no PIN`);
      const access = report({ approved: 60, started: 4, alreadyStarted: 3, invalid: 53 });
      access.newlyInvalid = bad;
      const quotas = report({ approved: 2, started: 1, invalid: 1 });
      quotas.newlyInvalid = ['row 3 (q@example.org): cores is not a number'];
      const rec = recorded({
        pollAccessSheet: async () => access,
        pollQuotaSheet: async () => quotas,
        sendMail,
      });
      const { result, workflowId } = await wf.withWorker(rec.activities, async (taskQueue) => {
        const handle = await poll(taskQueue);
        return { result: await handle.result(), workflowId: handle.workflowId };
      });
      assert.deepEqual(result, { ...access, quotas });
      assert.deepEqual(rec.names().sort(), [
        'pollAccessSheet',
        'pollQuotaSheet',
        'sendMail',
        'sendMail',
      ]);
      const [accessMail, quotaMail] = rec.inputs('sendMail');
      assert.equal(accessMail?.audience, 'admins');
      assert.equal(accessMail?.template, 'invalid-requests');
      assert.equal(accessMail?.project, 'the access sheet');
      const lines = accessMail?.reason?.split('\n') ?? [];
      assert.equal(lines.length, 51);
      assert.equal(lines[0], `  - ${bad[0]}`);
      assert.equal(lines[49], `  - ${bad[49]}`);
      assert.equal(lines[50], '  … and 3 more');
      assert.match(accessMail?.messageKey ?? '', /\.invalid\.the-access-sheet$/);
      assert.ok(accessMail?.messageKey.startsWith(`${workflowId}.`));
      assert.equal(quotaMail?.project, 'the quota sheet');
      assert.equal(quotaMail?.reason, '  - row 3 (q@example.org): cores is not a number');
    });

    test('no quota sheet configured and no bad rows: no mail, quotas null', async () => {
      const access = report({ approved: 1, started: 1 });
      const rec = recorded({
        pollAccessSheet: async () => access,
        pollQuotaSheet: async () => null,
        sendMail,
      });
      const result = await wf.withWorker(rec.activities, async (taskQueue) =>
        (await poll(taskQueue)).result(),
      );
      assert.deepEqual(result, { ...access, quotas: null });
      assert.equal(rec.inputs('sendMail').length, 0);
    });

    test('the quota sheet refused: the access sheet still handled, then the poll fails', async () => {
      const access = report({ invalid: 1, newlyInvalid: ['row 2 (a@example.org): no project'] });
      const rec = recorded({
        pollAccessSheet: async () => access,
        pollQuotaSheet: async () => {
          throw ApplicationFailure.nonRetryable(
            'the quota sheet has no tab "Requests"',
            FailureType.sheetRejected,
          );
        },
        sendMail,
      });
      const err: unknown = await wf.withWorker(rec.activities, async (taskQueue) =>
        (await poll(taskQueue)).result().then(
          () => assert.fail('the poll succeeded'),
          (e: unknown) => e,
        ),
      );
      // WorkflowFailedError → ActivityFailure (pollQuotaSheet, thrown as is) → SheetRejected.
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ActivityFailure);
      assert.equal(err.cause.activityType, 'pollQuotaSheet');
      assert.ok(err.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.type, 'SheetRejected');
      assert.deepEqual(
        rec.inputs('sendMail').map((m) => m.project),
        ['the access sheet'],
      );
    });
  });

  describe('checkRequests', () => {
    const row = (key: string, fields: Partial<NoticeRow> = {}): NoticeRow => ({
      key,
      approved: true,
      timestamp: '2026-03-01 10:00:00',
      email: `${key}@example.org`,
      firstName: 'Ada',
      lastName: 'Lovelace',
      project: `Proj-${key}`,
      comment: 'for the course',
      requestType: 'New account, new project',
      helpdeskNotified: '',
      reminderSent: '',
      ...fields,
    });
    const due = (tickets: NoticeRow[], digest: NoticeRow[]): DueNotices => ({
      tickets,
      digest,
      sheetLink: SHEET_LINK,
    });
    const mocks = (access: DueNotices, quota: DueNotices): Recorded =>
      recorded({
        pendingAccessNotices: async () => access,
        pendingQuotaNotices: async () => quota,
        stampAccessRequests: async () => undefined,
        stampQuotaRequests: async () => undefined,
        sendMail,
      });
    const check = (taskQueue: string) =>
      wf.env.client.workflow.start(checkRequests, {
        taskQueue,
        workflowId: unique('check'),
        args: [{ startText: '3 days' }],
      });

    test('a ticket per approved request, a digest of the waiting ones, each stamped once mailed', async () => {
      const waiting = row('r3', { approved: false, requestType: 'Additional user' });
      const quotaRow = row('q1', { requestType: 'Quota change' });
      const rec = mocks(due([row('r1'), row('r2')], [waiting]), due([quotaRow], []));
      const { result, startMs } = await wf.withWorker(rec.activities, async (taskQueue) => {
        const handle = await check(taskQueue);
        const result = await handle.result();
        return { result, startMs: (await handle.describe()).startTime.getTime() };
      });
      assert.deepEqual(result, { tickets: 3, waitingForApproval: 1 });
      assert.deepEqual(rec.names(), [
        'pendingAccessNotices',
        'sendMail',
        'sendMail',
        'stampAccessRequests',
        'sendMail',
        'stampAccessRequests',
        'pendingQuotaNotices',
        'sendMail',
        'stampQuotaRequests',
      ]);
      const mails = rec.inputs('sendMail');
      assert.deepEqual(
        mails
          .map((m) => `${m.audience}:${m.template}:${m.messageKey}`)
          .filter((m) => !/digest/.test(m)),
        [
          'helpdesk:helpdesk-ticket:ticket.r1',
          'helpdesk:helpdesk-ticket:ticket.r2',
          'helpdesk:helpdesk-ticket:ticket.q1',
        ],
      );
      assert.deepEqual(mails[0]?.values, {
        USER_NAME: 'r1@example.org',
        FIRST_NAME: 'Ada',
        LAST_NAME: 'Lovelace',
        CSR_TYPE: 'New account, new project',
        COMMENT: 'for the course',
      });
      const digest = mails[2]!;
      assert.equal(digest.audience, 'approvers');
      assert.equal(digest.template, 'approver-digest');
      assert.deepEqual(digest.values, {
        REQUEST_COUNT: '1',
        REQUEST_TYPE: 'access',
        START: '3 days',
        REQUEST_SPREADSHEET: SHEET_LINK,
        REQUEST_DETAILS: digestLine(waiting),
      });

      // Every stamp carries the workflow's own time: a retried stamp writes the same text.
      const stamps = [...rec.inputs('stampAccessRequests'), ...rec.inputs('stampQuotaRequests')];
      const at = stamps[0]!.at;
      assert.ok(Math.abs(Date.parse(at) - startMs) < MINUTE, `stamped at ${at}`);
      assert.deepEqual(stamps, [
        { column: 'helpdeskNotified', keys: ['r1', 'r2'], at },
        { column: 'reminderSent', keys: ['r3'], at },
        { column: 'helpdeskNotified', keys: ['q1'], at },
      ]);
      assert.equal(digest.messageKey, `digest.access.${at}`);
    });

    test('nothing due: no mail, no stamp', async () => {
      const rec = mocks(due([], []), due([], []));
      const result = await wf.withWorker(rec.activities, async (taskQueue) =>
        (await check(taskQueue)).result(),
      );
      assert.deepEqual(result, { tickets: 0, waitingForApproval: 0 });
      assert.deepEqual(rec.names(), ['pendingAccessNotices', 'pendingQuotaNotices']);
    });
  });
});
