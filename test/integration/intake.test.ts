// Registrations from the access sheet, end to end: the real googleapis client against a local
// Sheets v4 server (Google cannot be reached here), real Temporal, Keystone, Mailpit, setpass API.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { DEFAULT_ACCESS_COLUMNS as C } from '../../shared/sheet-columns';
import { createSpreadsheet } from '../../clients/sheets/create-spreadsheet';
import { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { ensurePollerSchedule, pollerScheduleId } from '../../lib/poller-schedule';
import { connectClient } from '../../lib/temporal';
import type { pollRegistrations } from '../../workflows';
import { createWorker } from '../../worker/create-worker';
import { FakeSheetsServer } from '../support/fake-sheets-server';
import { setPasswordFromMail } from '../support/forms';
import { startSystem, type TestSystem } from '../support/system';
import { makeServiceAccountKey } from '../support/service-account';
import {
  createKeystoneUser,
  eventually,
  keystoneLogin,
  mailsTo,
  testConfig,
  uniqueName,
} from '../support/services';

const SHEET = 'kaizen-access';
const ACCESS = 'Form Responses 1';
const CURRENT = 'Current Users';
const HEADER = Object.values(C).filter((h) => h !== C.status);
const PIN = '5566';

type RowFields = Partial<Record<keyof typeof C, string>>;
function row(fields: RowFields): string[] {
  const all: RowFields = {
    approved: 'approved',
    timestamp: new Date().toISOString(),
    firstName: 'Test',
    lastName: 'Person',
    existingAccount: 'No',
    pin: PIN,
    ...fields,
  };
  return (Object.keys(C) as (keyof typeof C)[])
    .filter((k) => k !== 'status')
    .map((k) => all[k] ?? '');
}
const emailOf = (cells: string[]) => cells[HEADER.indexOf(C.email)]!;
const statusOf = (rows: string[][], email: string) => {
  const at = rows[0]!.indexOf(C.status);
  return rows.find((r) => emailOf(r) === email)?.[at] ?? '';
};
/** A moved row's Status: `completed 2026-12-07 17:03 UTC`, a minute between `fromMs` and now. */
function assertCompleted(status: string, fromMs: number): void {
  const at = /^completed (\d{4}-\d\d-\d\d) (\d\d:\d\d) UTC$/.exec(status);
  assert.ok(at, `Status in "Current Users": ${JSON.stringify(status)}`);
  const ms = Date.parse(`${at[1]}T${at[2]}:00Z`);
  assert.ok(ms >= fromMs - (fromMs % 60_000) && ms <= Date.now(), `${status}: not in this test`);
}

describe('intake from the access sheet', () => {
  const sheets = (() => {
    const account = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-sa-')));
    return {
      account,
      server: new FakeSheetsServer({
        clientEmail: account.clientEmail,
        publicKey: account.publicKey,
      }),
    };
  })();
  let system: TestSystem;
  let taskQueue: string;
  let config: Config;
  let client: Client;

  before(async () => {
    const sheetsUrl = await sheets.server.start();
    sheets.server.addSpreadsheet(SHEET, { [ACCESS]: [HEADER], [CURRENT]: [HEADER] });
    system = await startSystem({
      KAIZEN_INTAKE__SOURCE: 'google',
      KAIZEN_INTAKE__SPREADSHEET_ID: SHEET,
      KAIZEN_INTAKE__KEY_FILE: sheets.account.keyFile,
      KAIZEN_INTAKE__SHEETS_URL: sheetsUrl,
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: `${uniqueName('admins')}@example.org`,
    });
    ({ taskQueue, config, client } = system);
  });

  after(async () => {
    await system.close();
    await sheets.server.close();
  });

  const poll = () =>
    client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
      workflowId: `test-poll-${randomUUID()}`,
      taskQueue,
    });
  const addRows = (rows: string[][]) =>
    sheets.server.setRows(SHEET, ACCESS, [...sheets.server.getRows(SHEET, ACCESS), ...rows]);
  const accessRows = () => sheets.server.getRows(SHEET, ACCESS);
  const currentEmails = () => sheets.server.getRows(SHEET, CURRENT).slice(1).map(emailOf);
  /** Appended to "Current Users" and (the later step) deleted from the access tab. */
  const moved = (email: string) =>
    currentEmails().includes(email) && !accessRows().slice(1).map(emailOf).includes(email);

  test('every kind of request, and every refusal marked on its row', async () => {
    const startedMs = Date.now();
    const keystone = keystoneFromConfig(config);
    const joinable = uniqueName('shared');
    const created = await keystone.request('POST', '/projects', {
      project: { name: joinable, domain_id: 'default' },
    });
    assert.equal(created.status, 201);
    const existing = `${uniqueName('old')}@example.org`;
    const helper = `${uniqueName('helper')}@example.org`;
    await createKeystoneUser(config, { name: existing, password: `Old-${randomUUID()}` });
    const helperId = await createKeystoneUser(config, {
      name: helper,
      password: `Old-${randomUUID()}`,
    });

    const person = (tag: string) => `${uniqueName(tag)}@example.org`;
    const p = {
      newNew: person('newnew'),
      newJoin: person('newjoin'),
      oldNew: existing,
      missingUser: person('ghost'),
      taken: person('taken'),
      noProject: person('noproject'),
      invalid: person('invalid'),
      unapproved: person('waiting'),
    };
    const newProject = uniqueName('fresh');
    addRows([
      row({
        email: p.newNew,
        newProjectName: newProject,
        projectDescription: 'new',
        additionalUsers: helper,
      }),
      row({ email: p.newJoin, existingProjectName: joinable }),
      row({
        email: p.oldNew,
        existingAccount: 'Yes',
        pin: '',
        newProjectName: uniqueName('oldnew'),
      }),
      row({ email: p.missingUser, existingAccount: 'Yes', pin: '', existingProjectName: joinable }),
      row({ email: p.taken, newProjectName: joinable }),
      row({ email: p.noProject, existingProjectName: uniqueName('nowhere') }),
      row({ email: p.invalid, pin: '12' }),
      row({ email: p.unapproved, approved: '' }),
    ]);

    const { quotas, newlyInvalid, ...counts } = await poll();
    assert.deepEqual(counts, {
      approved: 7,
      started: 6,
      alreadyStarted: 0,
      invalid: 1,
      waitingForAdmin: 0,
    });
    assert.equal(quotas, null, 'no quota sheet configured');
    assert.equal(newlyInvalid.length, 1);
    assert.match(
      newlyInvalid[0]!,
      new RegExp(`\\(${p.invalid}\\): "PIN" must be exactly 4 digits`),
    );
    // Ten more polls start nothing twice, and do not tell the admins about the same row again.
    for (let i = 0; i < 10; i++) {
      const again = await poll();
      assert.equal(again.started, 0);
      assert.deepEqual(again.newlyInvalid, []);
    }

    assert.match(statusOf(accessRows(), p.invalid), /^invalid: "PIN" must be exactly 4 digits/);
    const failed = await eventually('three refusals marked', async () => {
      const rows = accessRows();
      const marks = [p.missingUser, p.taken, p.noProject].map((e) => statusOf(rows, e));
      return marks.every((m) => m.startsWith('failed:')) ? marks : undefined;
    });
    assert.match(failed[0]!, /user .* does not exist/);
    assert.match(failed[1]!, /already taken/);
    assert.match(failed[2]!, /does not exist/);
    const adminMails = await eventually(
      'three failure mails and one invalid-rows mail',
      async () => {
        const found = await mailsTo(config.email_defaults.admin_email);
        return found.length >= 4 ? found : undefined;
      },
    );
    assert.equal(adminMails.length, 4);
    assert.equal(
      adminMails.filter((m) => m.Subject.includes('approved requests that cannot be processed'))
        .length,
      1,
    );
    assert.equal((await poll()).waitingForAdmin, 3, 'failed rows wait for an admin');

    // The existing user is done at once; the new users once they set their passwords.
    await eventually('the existing user row moved', async () =>
      moved(p.oldNew) ? true : undefined,
    );
    for (const email of [p.newNew, p.newJoin]) {
      const pw = `Fresh-${randomUUID()}`;
      const answer = await setPasswordFromMail(email, PIN, pw);
      assert.equal(answer.status, 200, answer.text);
    }
    await eventually('all three rows moved', async () =>
      [p.newNew, p.newJoin, p.oldNew].every(moved) ? true : undefined,
    );
    const left = accessRows().slice(1).map(emailOf).sort();
    assert.deepEqual(left, [p.missingUser, p.taken, p.noProject, p.invalid, p.unapproved].sort());
    // In "Current Users" they say when they completed, under a Status header added there.
    const current = sheets.server.getRows(SHEET, CURRENT);
    assert.equal(current[0]![HEADER.length], C.status);
    for (const email of [p.newNew, p.newJoin, p.oldNew])
      assertCompleted(statusOf(current, email), startedMs);

    // The additional user got the member role on the new project.
    const project = await keystone.findProjectByName(newProject);
    assert.ok(project);
    const assignments = (
      await keystone.request(
        'GET',
        `/role_assignments?scope.project.id=${project.id}&user.id=${helperId}`,
      )
    ).json<{ role_assignments: unknown[] }>().role_assignments;
    assert.equal(assignments.length, 1);
    assert.equal(
      (await keystoneLogin(config, p.oldNew, 'wrong')).status,
      401,
      'existing password untouched',
    );
  });

  test('fifty onboardings completing at once leave exactly the right rows in both tabs', async () => {
    const keystone = keystoneFromConfig(config);
    const project = uniqueName('crowd');
    await keystone.request('POST', '/projects', {
      project: { name: project, domain_id: 'default' },
    });
    const emails = Array.from({ length: 50 }, (_, i) => `${uniqueName(`crowd${i}`)}@example.org`);
    await Promise.all(
      emails.map((name) => createKeystoneUser(config, { name, password: `Pw-${randomUUID()}` })),
    );
    const bystander = `${uniqueName('bystander')}@example.org`;
    const before = currentEmails().length;
    addRows([
      ...emails.map((email) =>
        row({ email, existingAccount: 'Yes', pin: '', existingProjectName: project }),
      ),
      row({ email: bystander, approved: '' }),
    ]);
    assert.equal((await poll()).started, 50);
    await eventually('fifty rows moved', async () => (emails.every(moved) ? true : undefined));
    const remaining = accessRows().slice(1).map(emailOf);
    assert.ok(remaining.includes(bystander));
    assert.equal(remaining.filter((e) => emails.includes(e)).length, 0);
    assert.equal(currentEmails().length, before + 50, 'each moved exactly once');
  });

  test('rows a person edits and reorders meanwhile: the completed row is still the one moved', async () => {
    const email = `${uniqueName('edited')}@example.org`;
    addRows([row({ email, newProjectName: uniqueName('edited') })]);
    assert.equal((await poll()).started, 1);
    await eventually('the set-password mail', async () =>
      (await mailsTo(email)).length >= 2 ? true : undefined,
    );
    // A person sorts the tab and adds rows above while the onboarding waits.
    const [header, ...body] = accessRows();
    const others = [
      row({ email: `${uniqueName('late1')}@example.org`, approved: '' }),
      row({ email: `${uniqueName('late2')}@example.org`, approved: '' }),
    ];
    sheets.server.setRows(SHEET, ACCESS, [header!, ...others, ...body.reverse()]);
    const expected = accessRows()
      .slice(1)
      .map(emailOf)
      .filter((e) => e !== email);

    const answer = await setPasswordFromMail(email, PIN, `Edit-${randomUUID()}`);
    assert.equal(answer.status, 200, answer.text);
    await eventually('the row moved', async () => (moved(email) ? true : undefined));
    assert.deepEqual(
      accessRows().slice(1).map(emailOf),
      expected,
      'every other row kept, in its order',
    );
  });

  test('a thousand malformed rows never crash the poller; each gets its reason in one write', async () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const junk = [
      '',
      'x'.repeat(300),
      '<script>alert(1)</script>',
      '12',
      'maybe',
      'a@b',
      '\u00e9'.repeat(80),
      '-bad/name',
    ];
    const emails = Array.from({ length: 1000 }, (_, i) => `${uniqueName(`junk${i}`)}@example.org`);
    addRows(
      emails.map((email) =>
        row({
          email,
          pin: pick(['12', 'abcd', '', '123456']),
          existingAccount: pick(['No', 'maybe', '']),
          newProjectName: pick(junk),
          firstName: pick(junk),
          additionalUsers: pick(['', 'not-an-address', 'ok@example.org']),
        }),
      ),
    );
    const writesBefore = sheets.server.requests.filter((r) => r.method !== 'GET').length;
    const invalidBefore = accessRows().filter((r) =>
      /^invalid/.test(r[HEADER.length] ?? ''),
    ).length;
    const report = await poll();
    assert.equal(report.invalid, invalidBefore + 1000);
    assert.equal(report.started, 0);
    const rows = accessRows();
    for (const email of emails) assert.match(statusOf(rows, email), /^invalid: .+/);
    const writes = sheets.server.requests.filter((r) => r.method !== 'GET').length - writesBefore;
    assert.equal(writes, 1, 'all thousand marks in one batch request');
    assert.equal((await poll()).invalid, report.invalid, 'a second poll still counts them');
    const rewrites = sheets.server.requests.filter((r) => r.method !== 'GET').length - writesBefore;
    assert.equal(rewrites, 1, 'and rewrites nothing');
    // Clean up so later tests poll a small sheet.
    sheets.server.setRows(
      SHEET,
      ACCESS,
      accessRows().filter((r) => !emails.includes(emailOf(r))),
    );
  });

  test('the poller schedule exists and polls on its own', async () => {
    const quick = testConfig({ KAIZEN_INTAKE__POLL_INTERVAL: '2s' });
    assert.ok(
      ['created', 'updated'].includes(await ensurePollerSchedule(client, quick, taskQueue)),
    );
    try {
      const description = await client.schedule.getHandle(pollerScheduleId(taskQueue)).describe();
      assert.equal(description.policies.overlap, 'SKIP');
      const email = `${uniqueName('scheduled')}@example.org`;
      addRows([row({ email, newProjectName: uniqueName('sched') })]);
      await eventually('the scheduled poll to start the onboarding', async () =>
        (await mailsTo(email)).length >= 2 ? true : undefined,
      );
    } finally {
      await client.schedule.getHandle(pollerScheduleId(taskQueue)).delete();
    }
  });
});

describe('intake from the local spreadsheet file', () => {
  test('a row of the .xlsx is onboarded and moved to "Current Users"', async () => {
    const startedMs = Date.now();
    const taskQueue = `test-${randomUUID()}`;
    const file = join(mkdtempSync(join(tmpdir(), 'kaizen-xlsx-')), 'registrations.xlsx');
    const config = testConfig({
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_INTAKE__SOURCE: 'local',
      KAIZEN_INTAKE__LOCAL_FILE: file,
    });
    const keystone = keystoneFromConfig(config);
    const project = uniqueName('xlsx');
    await keystone.request('POST', '/projects', {
      project: { name: project, domain_id: 'default' },
    });
    const email = `${uniqueName('xlsx')}@example.org`;
    await createKeystoneUser(config, { name: email, password: `Pw-${randomUUID()}` });
    const other = `${uniqueName('other')}@example.org`;
    const [badPin, badAnswer] = [
      `${uniqueName('bad')}@example.org`,
      `${uniqueName('bad')}@example.org`,
    ];
    await createSpreadsheet(file, {
      [ACCESS]: [
        HEADER,
        row({ email: other, approved: '' }),
        row({ email, existingAccount: 'Yes', pin: '', existingProjectName: project }),
        row({ email: badPin, pin: 'abcd', newProjectName: 'x' }),
        row({ email: badAnswer, existingAccount: 'perhaps', newProjectName: 'y' }),
      ],
      [CURRENT]: [HEADER],
    });
    const worker = await createWorker(config, taskQueue);
    const running = worker.run();
    const client = await connectClient(config);
    try {
      const report = await client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
        workflowId: `test-poll-${randomUUID()}`,
        taskQueue,
      });
      assert.equal(report.started, 1);
      assert.equal(report.invalid, 2);
      const source = new LocalSpreadsheetSource(file);
      const marked = await source.readRows(ACCESS);
      assert.equal(marked[0]![HEADER.length], C.status, 'the Status column was added');
      assert.match(statusOf(marked, badPin), /^invalid: "PIN" must be exactly 4 digits/);
      assert.match(statusOf(marked, badAnswer), /^invalid: "Existing account\?" must be Yes or No/);
      // Appended to "Current Users" first, then deleted from the access tab.
      await eventually('the row moved', async () =>
        (await source.readRows(ACCESS)).every((r) => emailOf(r) !== email) ? true : undefined,
      );
      const current = await source.readRows(CURRENT);
      assert.equal(current[0]![HEADER.length], C.status, 'the Status column was added');
      assertCompleted(statusOf(current, email), startedMs);
      assert.deepEqual((await source.readRows(ACCESS)).slice(1).map(emailOf), [
        other,
        badPin,
        badAnswer,
      ]);
    } finally {
      worker.worker.shutdown();
      await running;
      await client.connection.close();
    }
  });
});
