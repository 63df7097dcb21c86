// /register and /quota-request over HTTP, end to end on the real services: the form, the
// confirmation mail in Mailpit, the confirmation, the row in the local sheet (Approved empty, no
// PIN), then the approval, the poll and the password set with the form's PIN.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { requestAnswer } from '../../api/routes/request-forms';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import type { Config } from '../../config/schema';
import { connectClient } from '../../lib/temporal';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { SecretBox } from '../../api/secrets';
import { statusView } from '../../cli/status-view';
import { FailureType } from '../../shared/failures';
import {
  formRequestWorkflowId,
  pinCellOfRequest,
  PIN_SET_ON_FORM,
  requestIdOfToken,
  requestPinBinding,
} from '../../shared/form-request-contract';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';
import type { pollRegistrations } from '../../workflows';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { liveRequestableKeys } from '../../wiring/verify-quota-keys';
import { REQUESTABLE_QUOTAS } from '../../intake/quota-rows';
import { formSession, postForm, setPasswordFromMail } from '../support/forms';
import {
  ACCESS_TAB,
  confirmByLink,
  confirmLinkFromMail,
  QUOTA_TAB,
  quotaFields,
  registerFields,
  requestSheets,
  sendForm,
} from '../support/request-forms';
import {
  createKeystoneUser,
  eventually,
  keystoneLogin,
  mailsTo,
  mailText,
  testConfig,
  uniqueName,
} from '../support/services';
import { startSystem, type TestSystem } from '../support/system';
import { FakeSheetsServer } from '../support/fake-sheets-server';
import { makeServiceAccountKey } from '../support/service-account';

describe('request forms: /register and /quota-request', () => {
  let system: TestSystem;
  let access: LocalSpreadsheetSource;
  let quotas: LocalSpreadsheetSource;

  before(async () => {
    const sheets = await requestSheets('kaizen-forms');
    ({ access, quotas } = sheets);
    system = await startSystem({
      ...sheets.env,
      KAIZEN_APPROVERS__EMAIL: `${uniqueName('approvers')}@example.org`,
      KAIZEN_APPROVERS__MAIL_EACH_REQUEST: 'yes',
    });
  });
  after(() => system?.close());

  const url = (path: string) => new URL(path, system.api.url).toString();
  const rowOf = async (source: LocalSpreadsheetSource, tab: string, email: string) => {
    const rows = await source.readRows(tab);
    const header = rows[0]!;
    const found = rows.find((r) => r[header.indexOf('Email')] === email);
    return found && Object.fromEntries(header.map((h, i) => [h, found[i] ?? '']));
  };

  test('the quota form offers only keys the live services accept', async () => {
    const keystone = keystoneFromConfig(system.config);
    // fixed_ips is a key the original tools set and today's Nova refuses.
    const offered = liveRequestableKeys(system.config, keystone, [
      ...REQUESTABLE_QUOTAS,
      'fixed_ips',
    ]);
    assert.deepEqual(await offered(), [...REQUESTABLE_QUOTAS]);
    const html = await (await fetch(url('quota-request'))).text();
    for (const key of REQUESTABLE_QUOTAS) assert.match(html, new RegExp(`name="${key}"`));
  });

  test('register: confirmed by mail, a row without PIN, approved, onboarded, password set with the PIN', async () => {
    const email = `${uniqueName('form')}@example.org`;
    const project = uniqueName('form-proj');
    // A colleague with an account joins the project; an address without one is set aside.
    const colleague = `${uniqueName('colleague')}@example.org`;
    const colleagueId = await createKeystoneUser(system.config, {
      name: colleague,
      password: `Pw-${randomUUID()}`,
    });
    const nobody = `${uniqueName('nobody')}@example.org`;
    const answer = await sendForm(
      url('register'),
      registerFields(email, project, { additionalUsers: `${colleague}, ${nobody}` }),
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, requestAnswer(system.config.forms.confirm_within));

    const link = await confirmLinkFromMail(email);
    // Opening the link (a mail scanner does too) shows the button and confirms nothing.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Confirm my request/);
    // It names what it confirms, read from the request's workflow.
    assert.ok(html.includes(`Confirm your request for an account for ${email}:`), html);
    assert.equal(await rowOf(access, ACCESS_TAB, email), undefined, 'no row before confirmation');

    const confirmed = await confirmByLink(link);
    assert.equal(confirmed.status, 200, confirmed.text);
    const thanks = `Thank you: your request for an account for ${email} is confirmed`;
    assert.ok(confirmed.text.startsWith(thanks), confirmed.text);
    const row = await eventually('the confirmed row', () => rowOf(access, ACCESS_TAB, email));
    assert.equal(row[A.approved], '');
    assert.equal(row[A.newProjectName], project);
    assert.equal(row[A.organisation], 'Harvard Computation Lab');
    assert.equal(row[A.additionalUsers], colleague);
    assert.match(row[A.comment]!, new RegExp(`Not added, no account: ${nobody}`));
    assert.match(row[A.pin]!, new RegExp(`^${PIN_SET_ON_FORM} [0-9a-f-]{36}$`));
    assert.ok(!Object.values(row).some((v) => v.includes('2468')), 'the PIN is in no cell');
    const again = await confirmByLink(link);
    assert.equal(again.status, 404, 'a link confirms once');

    // The approvers hear of it at once ([approvers] mail_each_request).
    await eventually('the approvers mail', async () =>
      (await mailsTo(system.config.approvers.email)).find((m) => m.Subject.includes(email)),
    );

    // An approver approves the row where they approve every request; the poll starts it.
    const rows = await access.readRows(ACCESS_TAB);
    const at = rows.findIndex((r) => r.includes(email)) + 1;
    await access.updateCells(ACCESS_TAB, at, rows[0]!.indexOf(A.approved) + 1, ['approved']);
    const report = await system.client.workflow.execute<typeof pollRegistrations>(
      'pollRegistrations',
      { workflowId: `test-poll-${randomUUID()}`, taskQueue: system.taskQueue },
    );
    assert.equal(report.started, 1, JSON.stringify(report));
    const password = `Form-${randomUUID()}`;
    assert.equal((await setPasswordFromMail(email, '1111', password)).status, 403, 'wrong PIN');
    const set = await setPasswordFromMail(email, '2468', password);
    assert.equal(set.status, 200, set.text);
    assert.equal((await keystoneLogin(system.config, email, password)).status, 201);
    const keystone = keystoneFromConfig(system.config);
    const created = await keystone.findProjectByName(project);
    assert.ok(created, 'the project exists');
    const assignments = new URLSearchParams({
      'user.id': colleagueId,
      'scope.project.id': created.id,
    });
    const { role_assignments } = (
      await keystone.request('GET', `/role_assignments?${assignments}`)
    ).json<{ role_assignments: unknown[] }>();
    assert.equal(role_assignments.length, 1, 'the colleague is a member');
  });

  test('a bad form is answered field by field, nothing started; CSRF and honeypot hold', async () => {
    const email = `${uniqueName('bad')}@example.org`;
    const bad = await sendForm(
      url('register'),
      registerFields(email, 'ok-name', {
        firstName: 'Eve<script>',
        pin_again: '1357',
        newProjectName: 'no/slash',
      }),
    );
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^firstName: /m);
    assert.match(bad.text, /^pinAgain: /m);
    assert.match(bad.text, /^newProjectName: /m);

    const html = await sendForm(url('register'), registerFields(email, 'ok', { email: 'x@' }), {
      accept: 'text/html',
    });
    assert.equal(html.status, 400);
    assert.match(html.text, /id="email-error"/);
    assert.ok(!html.text.includes('2468'), 'the PIN is never sent back');

    const noCookie = await fetch(url('register'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(registerFields(email, 'ok')).toString(),
    });
    assert.equal(noCookie.status, 403);

    const trapped = `${uniqueName('bot')}@example.org`;
    const bot = await sendForm(
      url('register'),
      registerFields(trapped, 'ok', { website: 'http://spam' }),
    );
    assert.equal(
      bot.text,
      requestAnswer(system.config.forms.confirm_within),
      'a bot is told the same',
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await mailsTo(email), []);
    assert.deepEqual(await mailsTo(trapped), [], 'no mail for a filled honeypot');
  });

  test('one address: at most requests_per_email mails an hour, the same answer after', async () => {
    const email = `${uniqueName('many')}@example.org`;
    const limit = system.config.forms.requests_per_email;
    for (let i = 0; i <= limit; i++) {
      const answer = await sendForm(url('register'), registerFields(email, `many-${i}`), {
        from: `192.0.2.${i + 1}`,
      });
      assert.equal(answer.text, requestAnswer(system.config.forms.confirm_within));
    }
    await eventually('the mails', async () =>
      (await mailsTo(email)).length >= limit ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await mailsTo(email)).length, limit);
  });

  test("quota: a member's request becomes a quota row; a stranger is refused by mail only", async () => {
    const keystone = keystoneFromConfig(system.config);
    const project = uniqueName('qform');
    const projectId = (
      await keystone.request('POST', '/projects', {
        project: { name: project, domain_id: 'default' },
      })
    ).json<{ project: { id: string } }>().project.id;
    const member = `${uniqueName('member')}@example.org`;
    const userId = await createKeystoneUser(system.config, {
      name: member,
      password: `Pw-${randomUUID()}`,
    });
    const role = (await keystone.findRoleByName(system.config.auth.member_role))!;
    await keystone.request('PUT', `/projects/${projectId}/users/${userId}/roles/${role.id}`);
    const stranger = `${uniqueName('stranger')}@example.org`;

    for (const email of [member, stranger]) {
      const answer = await sendForm(url('quota-request'), quotaFields(email, project));
      assert.equal(answer.status, 200, answer.text);
      const link = await confirmLinkFromMail(email);
      const page = await (await fetch(link, { headers: { accept: 'text/html' } })).text();
      assert.ok(page.includes(`Confirm your request for more quota in project ${project}:`), page);
      const confirmed = await confirmByLink(link);
      assert.equal(confirmed.status, 200, 'the page says the same to both');
      const thanks = `your request for more quota in project ${project} is confirmed`;
      assert.ok(confirmed.text.includes(thanks), confirmed.text);
    }
    const row = await eventually('the quota row', () => rowOf(quotas, QUOTA_TAB, member));
    assert.equal(row[Q.approved], '');
    assert.equal(row[Q.project], project);
    assert.equal(row[Q.cores], '32');
    assert.equal(row[Q.comments], 'a larger compile farm');

    const refusal = await eventually('the refusal mail', async () =>
      (await mailsTo(stranger)).find((m) => /was not sent on/.test(m.Subject)),
    );
    assert.match(await mailText(refusal.ID), /not a member of a project named/);
    assert.equal(await rowOf(quotas, QUOTA_TAB, stranger), undefined, 'no row for a stranger');
  });
});

describe('request forms: an unconfirmed request expires', () => {
  test('after confirm_within: the link is dead and nothing was written', async () => {
    const sheets = await requestSheets('kaizen-forms-expiry');
    const system = await startSystem({ ...sheets.env, KAIZEN_FORMS__CONFIRM_WITHIN: '3s' });
    try {
      const email = `${uniqueName('late')}@example.org`;
      const form = new URL('register', system.api.url).toString();
      assert.equal((await sendForm(form, registerFields(email, 'late'))).status, 200);
      const link = await confirmLinkFromMail(email);
      await new Promise((r) => setTimeout(r, 5000));
      const late = await confirmByLink(link);
      assert.equal(late.status, 404, late.text);
      const rows = await sheets.access.readRows(ACCESS_TAB);
      assert.equal(rows.length, 1, 'only the header');
    } finally {
      await system.close();
    }
  });
});

function postgresUrl(): string {
  const url = process.env.KAIZEN_TEST_POSTGRES_URL;
  if (!url) throw new Error('KAIZEN_TEST_POSTGRES_URL is not set: source .state/services.env');
  return url;
}

/** A client address of its own (as a proxy reports it): the stored counters outlive a run. */
const clientAddress = () =>
  `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;

const DROPPED = 'form request dropped: too many for one address';

// Two API processes on one token store, as behind a load balancer, and a restart: the forms'
// limits are counted in the store, so every process sees one count and a restart keeps it.
for (const store of ['postgresql', 'sqlite'] as const)
  describe(`request forms: limits shared by API processes (${store} store)`, () => {
    const logs: string[] = [];
    let config: Config;
    let client: Client;
    const running = new Set<RunningSetpass>();

    const startApi = async () => {
      const api = await startSetpassServer(config, { port: 0, log: (m) => logs.push(m) });
      running.add(api);
      return api;
    };
    const restart = async (api: RunningSetpass) => {
      running.delete(api);
      await api.close();
      return startApi();
    };
    const registerUrl = (api: RunningSetpass) => new URL('register', api.url).toString();
    const dropped = () => logs.filter((m) => m === DROPPED).length;
    const started = async () =>
      (
        await client.workflow.count(
          `TaskQueue = "${config.temporal.task_queue}" AND WorkflowType = "registrationRequest"`,
        )
      ).count;

    before(async () => {
      config = testConfig({
        ...(store === 'postgresql' ? { KAIZEN_SETPASS__DATABASE: postgresUrl() } : {}),
        KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('forms-shared'),
        // Client addresses from X-Forwarded-For: each test's own, whatever ran before.
        KAIZEN_SETPASS__TRUST_PROXY: 'true',
        KAIZEN_SETPASS__RATE_LIMIT: '4',
      });
      client = await connectClient(config);
    });
    after(async () => {
      await Promise.all([...running].map((api) => api.close()));
      // No worker runs them: requests left waiting would wait a day.
      const query = `TaskQueue = "${config.temporal.task_queue}" AND ExecutionStatus = "Running"`;
      for await (const w of client.workflow.list({ query }))
        await client.workflow
          .getHandle(w.workflowId)
          .terminate('test over')
          .catch(() => undefined);
      await client.connection.close();
    });

    test('one address: forms split between two processes and a restart count against one limit', async () => {
      const email = `${uniqueName('shared')}@example.org`;
      const limit = config.forms.requests_per_email;
      let apis = [await startApi(), await startApi()];
      const send = (api: RunningSetpass, i: number) =>
        sendForm(registerUrl(api), registerFields(email, `shared-${i}`), {
          from: clientAddress(),
        });
      for (let i = 0; i <= limit; i++) {
        const answer = await send(apis[i % 2]!, i);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.text, requestAnswer(config.forms.confirm_within));
      }
      assert.equal(dropped(), 1, `${limit + 1} forms for one address, split over two processes`);

      apis = [await restart(apis[0]!), apis[1]!];
      const late = await send(apis[0]!, limit + 1);
      assert.equal(late.text, requestAnswer(config.forms.confirm_within), 'the same answer');
      assert.equal(dropped(), 2, 'the restarted process still counts the earlier forms');

      await eventually('the requests started', async () =>
        (await started()) >= limit ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(await started(), limit, 'a workflow (and a mail) for the first ones only');
    });

    test('one client: form posts split between two processes and a restart count against one limit', async () => {
      const from = clientAddress();
      const perMinute = config.setpass.rate_limit;
      let apis = [await startApi(), await startApi()];
      const session = await formSession(registerUrl(apis[0]!), { from });
      // Refused forms (400) count as well, and start nothing.
      const bad = registerFields(`${uniqueName('bad')}@example.org`, 'bad', { email: 'x@' });
      const post = (api: RunningSetpass) => postForm(registerUrl(api), bad, session, { from });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i <= perMinute; i++) {
        const answer = await post(apis[i % 2]!);
        statuses.push(answer.status);
        retryAfter ??= answer.headers.get('retry-after');
      }
      assert.deepEqual(statuses, [...Array<number>(perMinute).fill(400), 429]);
      assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);

      apis = [await restart(apis[0]!), apis[1]!];
      assert.equal((await post(apis[0]!)).status, 429, 'the restarted process still counts');
      assert.equal((await post(apis[1]!)).status, 429);
      const other = await postForm(registerUrl(apis[0]!), bad, session, { from: clientAddress() });
      assert.equal(other.status, 400, 'another address has its own count');
    });
  });

// After "confirmed, it goes to the approvers", a sheet that refuses the row for good (here: no
// longer shared with the service account, a 403 on every call) must reach the admins:
// the requester was told it goes to the approvers, so nobody else would notice.
describe('request forms: the sheet refuses a confirmed request for good', () => {
  test('the admins get the reason and the row by mail; the request fails FormRequestFailed', async () => {
    const account = makeServiceAccountKey(mkdtempSync(join(tmpdir(), 'kaizen-sa-')));
    const sheets = new FakeSheetsServer({
      clientEmail: account.clientEmail,
      publicKey: account.publicKey,
    });
    const spreadsheet = 'kaizen-forms-refused';
    const header = Object.values(A);
    const tabs = { [ACCESS_TAB]: [header], 'Current Users': [header] };
    const sheetsUrl = await sheets.start();
    sheets.addSpreadsheet(spreadsheet, tabs);
    const admins = `${uniqueName('admins')}@example.org`;
    const system = await startSystem({
      KAIZEN_INTAKE__SOURCE: 'google',
      KAIZEN_INTAKE__SPREADSHEET_ID: spreadsheet,
      KAIZEN_INTAKE__KEY_FILE: account.keyFile,
      KAIZEN_INTAKE__SHEETS_URL: sheetsUrl,
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: admins,
    });
    try {
      const email = `${uniqueName('unheard')}@example.org`;
      const project = uniqueName('unheard-proj');
      const form = new URL('register', system.api.url).toString();
      assert.equal((await sendForm(form, registerFields(email, project))).status, 200);
      const link = await confirmLinkFromMail(email);
      const token = new URL(link).searchParams.get('token')!;
      const requestId = requestIdOfToken(token)!;

      // Someone stops sharing the sheet with the service account before the person confirms.
      sheets.addSpreadsheet(spreadsheet, tabs, { sharedWith: ['someone-else@example.org'] });
      const confirmed = await confirmByLink(link);
      assert.equal(confirmed.status, 200, confirmed.text);

      const mail = await eventually('the admins mail', async () =>
        (await mailsTo(admins)).find((m) => m.Subject.includes(email)),
      );
      const text = await mailText(mail.ID);
      assert.match(text, /writing the row to the request sheet: .*access denied; share the/);
      assert.match(text, /add the row below to the request sheet by hand, Approved empty/);
      assert.match(text, /^ {2}First name: Grace$/m);
      assert.match(text, new RegExp(`^ {2}Email: ${email}$`, 'm'));
      assert.match(text, new RegExp(`^ {2}New project name: ${project}$`, 'm'));
      assert.match(text, /^ {2}Comment: for the A-0 system$/m);
      assert.ok(text.includes(`  PIN: ${pinCellOfRequest(requestId)}`), text);
      const pinHash = new SecretBox(system.config.secrets.setpass_key).pinHash(
        requestPinBinding(requestId),
        '2468',
      );
      for (const secret of ['2468', token, token.split('.')[1]!, pinHash]) {
        assert.ok(!text.includes(secret) && !mail.Subject.includes(secret), `${secret} mailed`);
      }

      const handle = system.client.workflow.getHandle(formRequestWorkflowId(requestId));
      const failed: unknown = await handle.result().then(
        () => assert.fail('the request completed'),
        (err: unknown) => err,
      );
      assert.ok(failed instanceof WorkflowFailedError, String(failed));
      assert.ok(failed.cause instanceof ApplicationFailure, String(failed.cause));
      assert.equal(failed.cause.type, FailureType.formRequestFailed);
      // What `cli status` prints.
      const view = (await statusView(system.client, handle.workflowId)) as {
        execution: string;
        failure?: { type?: string; message?: string };
      };
      assert.equal(view.execution, 'FAILED');
      assert.equal(view.failure?.type, FailureType.formRequestFailed);
      assert.match(view.failure?.message ?? '', /writing the row .*access denied/);
      assert.deepEqual(sheets.getRows(spreadsheet, ACCESS_TAB), [header], 'nothing written');
    } finally {
      await system.close();
      await sheets.close();
    }
  });
});
