// /register and /quota-request over HTTP, end to end on the real services: the form, the
// confirmation mail in Mailpit, the confirmation, the row in the local sheet (Approved empty, no
// PIN), then the approval, the poll and the password set with the form's PIN.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LocalSpreadsheetSource } from '../../intake/local-spreadsheet-source';
import { requestAnswer } from '../../api/routes/form-requests';
import { PIN_SET_ON_FORM } from '../../shared/form-requests';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';
import type { pollRegistrations } from '../../workflows';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { liveRequestableKeys } from '../../wiring/verify-quota-keys';
import { REQUESTABLE_QUOTAS } from '../../intake/quota-rows';
import { setPasswordFromMail } from '../support/forms';
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
  uniqueName,
} from '../support/services';
import { startSystem, type TestSystem } from '../support/system';

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
    assert.match(await page.text(), /Confirm my request/);
    assert.equal(await rowOf(access, ACCESS_TAB, email), undefined, 'no row before confirmation');

    const confirmed = await confirmByLink(link);
    assert.equal(confirmed.status, 200, confirmed.text);
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
      const confirmed = await confirmByLink(await confirmLinkFromMail(email));
      assert.equal(confirmed.status, 200, 'the page says the same to both');
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
