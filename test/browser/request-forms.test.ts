// /register and /quota-request as a person uses them, in a real headless Chromium against the
// real services: the form filled by its labels, the confirmation link from the Mailpit mail
// opened and confirmed in the browser, the row in the local sheet approved, one poll, then the
// password set with the form's PIN (or the new quotas read back from Nova, Cinder and Neutron).
// Screenshots go to test-artifacts/screenshots/, and each filled form to docs/ for the README.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser, Page, Response } from 'playwright-core';
import type { KeystoneClient } from '../../clients/keystone';
import { requestAnswer } from '../../api/routes/request-forms';
import type { LocalSpreadsheetSource } from '../../clients/sheets/local-spreadsheet-source';
import { requestKey } from '../../intake/sheet-layout';
import { PIN_SET_ON_FORM } from '../../shared/form-request-contract';
import { quotaWorkflowId } from '../../shared/quota-change';
import {
  DEFAULT_ACCESS_COLUMNS as A,
  DEFAULT_QUOTA_COLUMNS as Q,
} from '../../shared/sheet-columns';
import type { pollRegistrations, updateQuota } from '../../workflows';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import {
  ACCESS_TAB,
  confirmLinkFromMail,
  QUOTA_TAB,
  requestSheets,
} from '../support/request-forms';
import {
  createKeystoneUser,
  eventually,
  keystoneLogin,
  mailsTo,
  mailText,
} from '../support/services';
import { startSystem, type TestSystem } from '../support/system';
import {
  launchChromium,
  randomPassword,
  SCREENSHOT_DIR,
  screenshot,
  sleep,
  submitSetPassword,
} from './support';

const TEST_TIMEOUT = 180_000;
// Keystone revokes tokens issued in the same second as a password change.
const KEYSTONE_SECOND = 1100;
/** Wide enough for the 32rem column and its margins: the README shows the form as a page. */
const VIEWPORT = { width: 640, height: 900 };
const DOCS = resolve(__dirname, '../../docs');

/** A short random tag: the example values stay readable and each run gets its own person. */
const tag = () => randomBytes(3).toString('hex');

describe('request forms in Chromium: /register and /quota-request', () => {
  let access: LocalSpreadsheetSource;
  let quotas: LocalSpreadsheetSource;
  let system: TestSystem;
  let keystone: KeystoneClient;
  let browser: Browser;
  /** Names of the Keystone projects and users this file made, deleted at the end (best effort). */
  const made: { projects: string[]; users: string[] } = { projects: [], users: [] };

  before(async () => {
    const sheets = await requestSheets('kaizen-browser-forms');
    ({ access, quotas } = sheets);
    system = await startSystem(sheets.env);
    keystone = keystoneFromConfig(system.config);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await system?.close();
    const gone = (path: string) => keystone.request('DELETE', path).catch(() => undefined);
    for (const name of made.projects.splice(0)) {
      const project = await keystone?.findProjectByName(name).catch(() => undefined);
      if (project) await gone(`/projects/${project.id}`);
    }
    for (const name of made.users.splice(0)) {
      const user = await keystone?.findUserByName(name).catch(() => undefined);
      if (user) await gone(`/users/${user.id}`);
    }
  });

  const url = (path: string) => new URL(path, system.api.url).toString();

  /** A fresh context (own cookies) closed after the test; fails fast on a missing element. */
  async function newPage(t: TestContext): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    context.setDefaultTimeout(15_000);
    t.after(() => context.close());
    return context.newPage();
  }

  async function open(page: Page, link: string, status = 200): Promise<void> {
    const response = await page.goto(link);
    assert.ok(response, 'navigation has a response');
    assert.equal(response.status(), status, await page.locator('body').innerText());
  }

  /** Presses a button that posts the page's form; the answer to the POST, once it has loaded. */
  async function press(page: Page, name: string): Promise<Response> {
    const answered = page.waitForResponse((r) => r.request().method() === 'POST');
    const loaded = page.waitForEvent('load');
    await page.getByRole('button', { name }).click();
    const response = await answered;
    await loaded;
    return response;
  }

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).innerText();
  const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
  const choose = (page: Page, group: string, option: string) =>
    page
      .getByRole('group', { name: group })
      .getByRole('radio', { name: option, exact: true })
      .check();

  /**
   * The filled form, full page: in test-artifacts/screenshots/ and, for the README, in docs/.
   * The run's unique names (label → value shown) are swapped for plain ones for the picture and
   * typed back after it: the same page gives the same PNG, and a test run leaves docs/ as it was.
   */
  async function docsScreenshot(
    page: Page,
    name: string,
    shown: Record<string, string>,
  ): Promise<void> {
    const typed: [string, string][] = [];
    for (const [label, value] of Object.entries(shown)) {
      typed.push([label, await field(page, label).inputValue()]);
      await field(page, label).fill(value);
    }
    // No focus ring on the last field typed into, no hover state under the pointer.
    await page.evaluate('document.activeElement?.blur()');
    await page.mouse.move(0, 0);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = join(SCREENSHOT_DIR, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(shot, join(DOCS, `${name}.png`));
    for (const [label, value] of typed) await field(page, label).fill(value);
  }

  /** The answer every valid form gets, in the browser. */
  async function assertCheckMail(page: Page, response: Response, shot: string): Promise<void> {
    assert.equal(response.status(), 200, await page.locator('body').innerText());
    assert.equal(await heading(page), 'Check your e-mail');
    assert.ok(
      (await page.locator('main').innerText()).includes(
        requestAnswer(system.config.forms.confirm_within),
      ),
    );
    await screenshot(page, shot);
  }

  /** Opens the mailed confirmation link, checks it changes nothing, and presses its button. */
  async function confirmInBrowser(
    page: Page,
    email: string,
    noRowYet: () => Promise<unknown>,
    shot: string,
  ) {
    const link = await confirmLinkFromMail(email);
    await open(page, link);
    assert.equal(await heading(page), 'Confirm your request');
    assert.match(await page.locator('main').innerText(), /Confirm your request for .+:/);
    await screenshot(page, `${shot}-confirm`);
    assert.equal(await noRowYet(), undefined, 'opening the link alone writes no row');
    const confirmed = await press(page, 'Confirm my request');
    assert.equal(confirmed.status(), 200, await page.locator('body').innerText());
    assert.equal(await heading(page), 'Request confirmed');
    // Both pages name what is confirmed: an account for the address, or quota in a project.
    assert.match(await page.locator('main').innerText(), /your request for .+ is confirmed/);
    await screenshot(page, `${shot}-confirmed`);
  }

  /** The row of `email` in a sheet tab, header → cell, and its 1-based row number. */
  async function rowOf(source: LocalSpreadsheetSource, tab: string, email: string) {
    const rows = await source.readRows(tab);
    const header = rows[0]!;
    const at = rows.findIndex((r) => r[header.indexOf('Email')] === email);
    if (at < 1) return undefined;
    const cells = Object.fromEntries(header.map((h, i) => [h, rows[at]![i] ?? '']));
    return { cells, number: at + 1, approvedColumn: header.indexOf('Approved') + 1 };
  }

  /** What an approver does: types `approved` into the row's Approved cell. */
  async function approve(source: LocalSpreadsheetSource, tab: string, email: string) {
    const row = await rowOf(source, tab, email);
    assert.ok(row, `a row for ${email} in ${tab}`);
    await source.updateCells(tab, row.number, row.approvedColumn, ['approved']);
  }

  const poll = () =>
    system.client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
      workflowId: `test-poll-${randomUUID()}`,
      taskQueue: system.taskQueue,
    });

  async function setPasswordLinkFromMail(email: string): Promise<string> {
    const mail = await eventually(`the set-password mail to ${email}`, async () =>
      (await mailsTo(email)).find((m) => /choose your .* password/i.test(m.Subject)),
    );
    const link = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(mail.ID))?.[1];
    assert.ok(link, 'the set-password mail carries a link');
    return link;
  }

  /** A project's quotas as Nova, Cinder and Neutron report them, straight over REST. */
  async function quotasOf(projectId: string): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const service of ['compute', 'volumev3', 'network'] as const) {
      const root = await keystone.endpoint(service, 'public', 'RegionOne');
      const [url, wrapper] =
        service === 'network'
          ? [`${root}/v2.0/quotas/${projectId}`, 'quota']
          : [`${root}/os-quota-sets/${projectId}`, 'quota_set'];
      const response = await keystone.adminRequest({ service, method: 'GET', url });
      Object.assign(result, response.json<Record<string, Record<string, unknown>>>()[wrapper]);
    }
    return result;
  }

  test(
    '/register: filled, confirmed from the mail, approved, polled, password set with its PIN',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const email = `tove.lindqvist.${tag()}@example.org`;
      const project = `climate-postproc-${tag()}`;
      const pin = '5307';
      made.users.push(email);
      made.projects.push(project);
      const page = await newPage(t);
      await open(page, url('register'));
      assert.equal(await heading(page), 'Ask for an account');

      await field(page, 'First name').fill('Tove');
      await field(page, 'Last name').fill('Lindqvist');
      await field(page, 'E-mail address').fill(email);
      await field(page, 'Organisation').fill('Example University, Department of Physics');
      await field(page, 'Role').fill('PhD student');
      await field(page, 'Phone').fill('+1 617 555 0142');
      await field(page, 'Sponsor').fill('Prof. Jonas Eriksen');
      await choose(page, 'Do you already have an account?', 'No');
      await field(page, 'PIN (4 digits)').fill(pin);
      await field(page, 'PIN, again').fill(pin);
      await choose(page, 'A new project, or an existing one?', 'A new project');
      await field(page, 'New project name').fill(project);
      await field(page, 'Project description').fill(
        'Post-processing of regional climate model runs: regridding and statistics.',
      );
      // Additional users left empty: an address without an account fails the whole onboarding.
      await field(page, 'Project contact name').fill('Jonas Eriksen');
      await field(page, 'Project contact e-mail address').fill(
        `jonas.eriksen.${tag()}@example.org`,
      );
      await field(page, 'Comment').fill('Mostly CPU work, no GPUs needed.');
      await docsScreenshot(page, 'register', {
        'E-mail address': 'tove.lindqvist@example.org',
        'New project name': 'climate-postproc',
        'Project contact e-mail address': 'jonas.eriksen@example.org',
      });

      await assertCheckMail(page, await press(page, 'Send request'), 'register-sent');
      await confirmInBrowser(page, email, () => rowOf(access, ACCESS_TAB, email), 'register');

      const row = await eventually('the confirmed row', () => rowOf(access, ACCESS_TAB, email));
      assert.equal(row.cells[A.approved], '', 'Approved is left to the approvers');
      assert.equal(row.cells[A.firstName], 'Tove');
      assert.equal(row.cells[A.existingAccount], 'No');
      assert.equal(row.cells[A.newProjectName], project);
      assert.equal(row.cells[A.role], 'PhD student');
      assert.match(row.cells[A.pin]!, new RegExp(`^${PIN_SET_ON_FORM} [0-9a-f-]{36}$`));
      for (const [column, value] of Object.entries(row.cells))
        assert.ok(!value.includes(pin), `the PIN is in the ${column} cell`);

      await approve(access, ACCESS_TAB, email);
      const report = await poll();
      assert.equal(report.started, 1, JSON.stringify(report));

      await open(page, await setPasswordLinkFromMail(email));
      assert.equal(await heading(page), 'Choose your password');
      const password = randomPassword('Tove');
      const set = await submitSetPassword(page, { pin, password, confirm: password });
      assert.equal(set.status(), 200, await page.locator('body').innerText());
      assert.equal(await heading(page), 'Password set');
      assert.match(await page.getByRole('status').innerText(), /^Password set\./);
      await screenshot(page, 'register-password-set');

      await sleep(KEYSTONE_SECOND);
      assert.equal((await keystoneLogin(system.config, email, password)).status, 201);
      const created = await keystone.findProjectByName(project);
      assert.ok(created, `the project ${project} exists in Keystone`);
    },
  );

  test(
    '/quota-request: filled by a member, confirmed from the mail, approved, applied',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const project = `ensemble-runs-${tag()}`;
      const email = `noor.haddad.${tag()}@example.org`;
      made.projects.push(project);
      made.users.push(email);
      const projectId = (
        await keystone.request('POST', '/projects', {
          project: { name: project, domain_id: system.config.auth.domain_id },
        })
      ).json<{ project: { id: string } }>().project.id;
      const userId = await createKeystoneUser(system.config, {
        name: email,
        password: randomPassword('Noor'),
      });
      const role = (await keystone.findRoleByName(system.config.auth.member_role))!;
      await keystone.request('PUT', `/projects/${projectId}/users/${userId}/roles/${role.id}`);

      const typed = { cores: 48, ramGb: 96, volumes: 24 };
      const expected = { cores: typed.cores, ram: typed.ramGb * 1024, volumes: typed.volumes };
      const before = await quotasOf(projectId);
      for (const [key, value] of Object.entries(expected))
        assert.notEqual(before[key], value, `${key} is not already ${value}`);

      const page = await newPage(t);
      await open(page, url('quota-request'));
      assert.equal(await heading(page), 'Ask for more quota');
      await field(page, 'First name').fill('Noor');
      await field(page, 'Last name').fill('Haddad');
      await field(page, 'E-mail address').fill(email);
      await field(page, 'Organisation').fill('Example University, Department of Physics');
      await field(page, 'Project name').fill(project);
      await choose(page, 'Permanent or temporary?', 'Permanent');
      await field(page, 'CPU cores').fill(String(typed.cores));
      await field(page, 'RAM (GB)').fill(String(typed.ramGb));
      await field(page, 'Volumes').fill(String(typed.volumes));
      await field(page, 'Why do you need it?').fill(
        'The spring ensemble runs 12 members at once; each needs 4 cores, 8 GB and two volumes.',
      );
      await docsScreenshot(page, 'quota-request', {
        'E-mail address': 'noor.haddad@example.org',
        'Project name': 'ensemble-runs',
      });

      await assertCheckMail(page, await press(page, 'Send request'), 'quota-request-sent');
      await confirmInBrowser(page, email, () => rowOf(quotas, QUOTA_TAB, email), 'quota-request');

      const row = await eventually('the confirmed quota row', () =>
        rowOf(quotas, QUOTA_TAB, email),
      );
      assert.equal(row.cells[Q.approved], '', 'Approved is left to the approvers');
      assert.equal(row.cells[Q.project], project);
      assert.equal(row.cells[Q.duration], 'Permanent');
      assert.equal(row.cells[Q.cores], String(typed.cores));
      assert.equal(row.cells[Q.ram], String(typed.ramGb));
      assert.equal(row.cells[Q.volumes], String(typed.volumes));
      assert.equal(row.cells[Q.instances], '', 'an empty field asks for no change');

      await approve(quotas, QUOTA_TAB, email);
      const report = await poll();
      assert.equal(report.quotas?.started, 1, JSON.stringify(report));
      const sheetKey = requestKey(email, row.cells[Q.timestamp]!);
      const handle = system.client.workflow.getHandle<typeof updateQuota>(
        quotaWorkflowId({ sheetKey, email: '', fullName: '', project: '', changes: {} }),
      );
      const result = await handle.result();
      assert.equal(result.step, 'completed');

      const now = await quotasOf(projectId);
      assert.deepEqual(
        Object.fromEntries(Object.keys(expected).map((k) => [k, now[k]])),
        expected,
        'the quotas typed into the form',
      );
      assert.equal(now.instances, before.instances, 'a field left empty is unchanged');
      assert.equal(now.port, before.port, 'no port rule without more instances or networks');
    },
  );

  test(
    '/register: a bad e-mail and two different PINs are shown beside their fields',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const page = await newPage(t);
      await open(page, url('register'));
      // Chromium lets this address through (type=email wants no dot after the @); the server not.
      const badEmail = 'tove.lindqvist@example';
      await field(page, 'First name').fill('Tove');
      await field(page, 'Last name').fill('Lindqvist');
      await field(page, 'E-mail address').fill(badEmail);
      await choose(page, 'Do you already have an account?', 'No');
      await field(page, 'PIN (4 digits)').fill('5307');
      await field(page, 'PIN, again').fill('5370');
      await choose(page, 'A new project, or an existing one?', 'A new project');
      await field(page, 'New project name').fill('climate-postproc');

      const response = await press(page, 'Send request');
      assert.equal(response.status(), 400, await page.locator('body').innerText());
      assert.equal(await heading(page), 'Ask for an account', 'the form comes back');

      const emailError = page.locator('#email-error');
      assert.match(await emailError.innerText(), /is not an e-mail address/);
      const pinError = page.locator('#pin_again-error');
      assert.equal(
        await pinError.innerText(),
        'The two PINs differ: type the same 4 digits in both.',
      );
      // Each error sits beside its own field and is tied to it.
      const emailInput = field(page, 'E-mail address');
      assert.equal(await emailInput.getAttribute('aria-invalid'), 'true');
      assert.match((await emailInput.getAttribute('aria-describedby')) ?? '', /\bemail-error\b/);
      const pinAgain = field(page, 'PIN, again');
      assert.equal(await pinAgain.getAttribute('aria-invalid'), 'true');
      assert.match((await pinAgain.getAttribute('aria-describedby')) ?? '', /\bpin_again-error\b/);
      assert.equal(await page.locator('[aria-invalid=true]').count(), 2, 'only these two');

      // The summary lists both, each a link to its field.
      const summary = page.locator('#form-problems');
      assert.equal(await summary.getAttribute('role'), 'alert');
      const links = summary.getByRole('link');
      assert.deepEqual(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href'))), [
        '#email',
        '#pin_again',
      ]);
      assert.equal(await links.nth(0).innerText(), await emailError.innerText());
      assert.equal(await links.nth(1).innerText(), await pinError.innerText());

      // The PINs are never written back; what else was typed is.
      assert.equal(await field(page, 'PIN (4 digits)').inputValue(), '');
      assert.equal(await pinAgain.inputValue(), '');
      assert.equal(await emailInput.inputValue(), badEmail);
      assert.equal(await field(page, 'New project name').inputValue(), 'climate-postproc');
      const no = page
        .getByRole('group', { name: 'Do you already have an account?' })
        .getByRole('radio', { name: 'No', exact: true });
      assert.ok(await no.isChecked(), 'the chosen answer stays chosen');
      await screenshot(page, 'register-errors');
      const html = await page.content();
      assert.ok(!html.includes('5307') && !html.includes('5370'), 'a PIN is in the page');
    },
  );
});
