// Helpdesk tickets and the approver digest, from real .xlsx sheets through real Temporal to
// Mailpit, with the stamps written back to the sheets.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_ACCESS_COLUMNS as A } from '../../shared/sheet-columns';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { parseStamp } from '../../intake/notices';
import { DEFAULT_QUOTA_COLUMNS as Q } from '../../shared/sheet-columns';
import { checkScheduleId, ensureCheckSchedule } from '../../lib/poller-schedule';
import type { checkRequests } from '../../workflows';
import { eventually, mailsTo, mailText, testConfig, uniqueName } from '../support/services';
import { startSystem, type TestSystem } from '../support/system';

const ACCESS = 'Form Responses 1';
const ACCESS_HEADER = Object.values(A);
// The quota sheet has neither "Notified" nor "Reminder Sent": both are added when first stamped.
const QUOTA_HEADER = Object.values(Q).filter(
  (h) => h !== Q.notified && h !== Q.reminderSent && h !== Q.status,
);

function cells<K extends string>(
  header: string[],
  mapping: Record<K, string>,
  fields: Partial<Record<K, string>>,
) {
  const byHeader = new Map(Object.entries(fields).map(([k, v]) => [mapping[k as K], v as string]));
  return header.map((h) => byHeader.get(h) ?? '');
}

describe('helpdesk tickets and the approver digest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-notices-'));
  const accessFile = join(dir, 'registrations.xlsx');
  const quotaFile = join(dir, 'quotas.xlsx');
  const helpdesk = `${uniqueName('helpdesk')}@example.org`;
  const approvers = `${uniqueName('approvers')}@example.org`;
  const env = {
    KAIZEN_INTAKE__SOURCE: 'local',
    KAIZEN_INTAKE__LOCAL_FILE: accessFile,
    KAIZEN_QUOTA_SHEET__LOCAL_FILE: quotaFile,
    KAIZEN_HELPDESK__EMAIL: helpdesk,
    KAIZEN_HELPDESK__QUEUE: 'Kaizen-Test',
    KAIZEN_APPROVERS__EMAIL: approvers,
    KAIZEN_APPROVERS__START: '1h',
    KAIZEN_APPROVERS__INTERVAL: '1h',
  };
  let system: TestSystem;
  const person = (tag: string) => `${uniqueName(tag)}@example.org`;
  const p = {
    approved: person('approved'),
    old: person('old'),
    fresh: person('fresh'),
    quota: person('quota'),
  };
  const longAgo = new Date(Date.now() - 48 * 3_600_000).toISOString();

  before(async () => {
    await createSpreadsheet(accessFile, {
      [ACCESS]: [
        ACCESS_HEADER,
        cells(ACCESS_HEADER, A, {
          approved: 'approved',
          timestamp: longAgo,
          email: p.approved,
          firstName: 'Alan',
          lastName: 'Turing',
          existingAccount: 'No',
          newProjectName: 'bombe',
          comment: 'codebreaking',
        }),
        cells(ACCESS_HEADER, A, {
          timestamp: longAgo,
          email: p.old,
          firstName: 'Old',
          lastName: 'Request',
          existingAccount: 'Yes',
          existingProjectName: 'engine',
        }),
        cells(ACCESS_HEADER, A, { timestamp: new Date().toISOString(), email: p.fresh }),
      ],
      'Current Users': [ACCESS_HEADER],
    });
    await createSpreadsheet(quotaFile, {
      [ACCESS]: [
        QUOTA_HEADER,
        cells(QUOTA_HEADER, Q, {
          approved: 'Approved',
          timestamp: longAgo,
          email: p.quota,
          firstName: 'Grace',
          lastName: 'Hopper',
          project: 'cobol',
          cores: '40',
        }),
      ],
      'Processed Requests': [QUOTA_HEADER],
    });
    system = await startSystem(env);
  });
  after(() => system.close());

  const check = () =>
    system.client.workflow.execute<typeof checkRequests>('checkRequests', {
      workflowId: `test-check-${randomUUID()}`,
      taskQueue: system.taskQueue,
      args: [{ startText: '1 hour' }],
    });
  const column = (rows: string[][], header: string, email: string, emailHeader = A.email) =>
    rows.find((r) => r[rows[0]!.indexOf(emailHeader)] === email)?.[rows[0]!.indexOf(header)] ?? '';

  test('approved rows become one ticket each, waiting rows one digest; all stamped', async () => {
    assert.deepEqual(await check(), { tickets: 2, waitingForApproval: 1 });

    const tickets = await eventually('two tickets', async () => {
      const found = await mailsTo(helpdesk);
      return found.length >= 2 ? found : undefined;
    });
    assert.equal(tickets.length, 2);
    const accessTicket = tickets.find((m) => m.Subject.includes(p.approved))!;
    assert.equal(
      accessTicket.Subject,
      `[Kaizen-Test] New account, new project: ${p.approved} (bombe)`,
    );
    assert.match(
      await mailText(accessTicket.ID),
      /Name: +Alan Turing[\s\S]*Comment: +codebreaking/,
    );
    assert.ok(tickets.some((m) => m.Subject === `[Kaizen-Test] Quota change: ${p.quota} (cobol)`));

    const [digest] = await eventually('the digest', async () => {
      const found = await mailsTo(approvers);
      return found.length > 0 ? found : undefined;
    });
    assert.match(digest!.Subject, /1 access request\(s\) waiting for approval/);
    const text = await mailText(digest!.ID);
    assert.match(
      text,
      new RegExp(`Existing account, existing project: Old Request <${p.old}>, project engine`),
    );
    assert.ok(!text.includes(p.fresh), 'a request younger than [approvers] start is not in it');
    assert.ok(text.includes(accessFile), 'the digest says where the sheet is');

    const access = await new LocalSpreadsheetSource(accessFile).readRows(ACCESS);
    assert.ok(
      parseStamp(column(access, A.helpdeskNotified, p.approved)),
      'Helpdesk Notified stamped',
    );
    assert.ok(parseStamp(column(access, A.reminderSent, p.old)), 'Reminder Sent stamped');
    assert.equal(column(access, A.reminderSent, p.fresh), '');
    const quota = await new LocalSpreadsheetSource(quotaFile).readRows(ACCESS);
    assert.ok(quota[0]!.includes(Q.notified), 'the missing "Notified" column was added');
    assert.ok(parseStamp(column(quota, Q.notified, p.quota, Q.email)));

    // The stamps hold: an immediate second check mails nobody.
    assert.deepEqual(await check(), { tickets: 0, waitingForApproval: 0 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await mailsTo(helpdesk)).length, 2);
    assert.equal((await mailsTo(approvers)).length, 1);
  });

  test('the check schedule exists with its interval and runs the check', async () => {
    const config = testConfig({ ...env, KAIZEN_APPROVERS__CHECK_EVERY: '2h' });
    assert.ok(
      ['created', 'updated'].includes(
        await ensureCheckSchedule(system.client, config, system.taskQueue),
      ),
    );
    const handle = system.client.schedule.getHandle(checkScheduleId(system.taskQueue));
    try {
      const description = await handle.describe();
      assert.equal(description.spec.intervals?.[0]?.every, 2 * 3_600_000);
      assert.equal(description.action.type, 'startWorkflow');
      assert.equal(
        description.action.type === 'startWorkflow' && description.action.workflowType,
        'checkRequests',
      );
      await handle.trigger();
      await eventually('the triggered check to finish', async () => {
        const runs = (await handle.describe()).info.recentActions;
        return runs.length > 0 ? true : undefined;
      });
    } finally {
      await handle.delete();
    }
  });
});
