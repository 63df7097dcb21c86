// The set-password page in a real headless Chromium, against the setpass API and the real
// Keystone started by scripts/services.sh. Screenshots go to test-artifacts/screenshots/.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { keystoneLogin } from '../support/services';
import {
  accessibilityProblems,
  KeystoneAdmin,
  launchChromium,
  randomPassword,
  screenshot,
  scrollWidth,
  sleep,
  startApi,
  submitSetPassword,
  type TestApi,
} from './support';

const PIN = '4821';
const TEST_TIMEOUT = 90_000;
// Keystone revokes tokens issued in the same second as a password change.
const KEYSTONE_SECOND = 1100;

describe('set-password page in Chromium', () => {
  let browser: Browser;
  let main: TestApi;
  let admin: KeystoneAdmin;
  const extraApis: TestApi[] = [];

  before(async () => {
    main = await startApi();
    admin = await KeystoneAdmin.connect(main.config);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    for (const api of [main, ...extraApis]) await api?.api.close();
    await admin?.cleanup();
  });

  /** A fresh browser context (own cookies) closed after the test; fails fast on a missing element. */
  async function newPage(
    t: TestContext,
    options: BrowserContextOptions = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(15_000);
    t.after(() => context.close());
    return { context, page: await context.newPage() };
  }

  async function openLink(page: Page, link: string, status = 200): Promise<void> {
    const response = await page.goto(link);
    assert.ok(response, 'navigation has a response');
    assert.equal(response.status(), status, await page.locator('body').innerText());
  }

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).innerText();

  async function assertOffersReset(page: Page, api: TestApi): Promise<void> {
    const reset = page.getByRole('link', { name: 'Ask for a new link' });
    assert.equal(await reset.count(), 1, 'one "Ask for a new link" link');
    assert.equal(
      await reset.getAttribute('href'),
      api.config.email_defaults.password_reset_form_url,
    );
  }

  test(
    'setting a password through the page changes it in Keystone',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const account = await admin.newAccount(main.api.url, PIN);
      const { page } = await newPage(t);
      await openLink(page, account.link);
      assert.equal(await heading(page), 'Choose your password');
      assert.match(await page.locator('body').innerText(), /This link works for 2 days/);

      const password = randomPassword('Chosen');
      const response = await submitSetPassword(page, { pin: PIN, password, confirm: password });
      assert.equal(response.status(), 200, await page.locator('body').innerText());
      assert.equal(await heading(page), 'Password set');
      assert.match(
        await page.getByRole('status').innerText(),
        /^Password set\. You can now log in with your user name \(your e-mail address\) and your new password\.$/,
      );
      await screenshot(page, 'set-password');

      await sleep(KEYSTONE_SECOND);
      assert.equal((await keystoneLogin(main.config, account.name, password)).status, 201);
      assert.equal((await keystoneLogin(main.config, account.name, account.temporary)).status, 401);

      // The link is single-use, and nothing secret reached the log.
      await openLink(page, account.link, 404);
      assert.match(await page.getByRole('alert').innerText(), /Token not found/);
      const logged = main.logs.join('\n');
      for (const secret of [account.token, account.temporary, password]) {
        assert.ok(!logged.includes(secret), 'a secret reached the API log');
      }
    },
  );

  test('a wrong PIN is refused and the form comes back', { timeout: TEST_TIMEOUT }, async (t) => {
    const account = await admin.newAccount(main.api.url, PIN);
    const { page } = await newPage(t);
    await openLink(page, account.link);

    const password = randomPassword('Chosen');
    const response = await submitSetPassword(page, { pin: '0000', password, confirm: password });
    assert.equal(response.status(), 403);
    const alert = page.getByRole('alert');
    assert.match(
      await alert.innerText(),
      /^Wrong PIN\. 2 attempts left before this link is locked\.$/,
    );
    assert.equal(await heading(page), 'Choose your password');
    const pin = page.getByLabel('PIN (4 digits)');
    assert.ok(await pin.isVisible(), 'the PIN field is shown again');
    assert.equal(await pin.inputValue(), '', 'the PIN is not echoed back');
    assert.equal(await pin.getAttribute('aria-describedby'), 'form-error');
    assert.ok(await page.getByLabel('New password', { exact: true }).isVisible());
    assert.ok(await page.getByLabel('New password, again').isVisible());
    assert.ok(await page.getByRole('button', { name: 'Set password' }).isEnabled());
    await screenshot(page, 'wrong-pin');

    // Nothing changed in Keystone.
    assert.equal((await keystoneLogin(main.config, account.name, account.temporary)).status, 201);
  });

  test(
    'three wrong PINs lock the link, even against the right PIN',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const account = await admin.newAccount(main.api.url, PIN);
      const { context, page } = await newPage(t);
      await openLink(page, account.link);
      // A second tab holding the form, to try the right PIN once the link is locked.
      const later = await context.newPage();
      await openLink(later, account.link);
      await page.bringToFront();

      const password = randomPassword('Chosen');
      const wrong = (pin: string) => submitSetPassword(page, { pin, password, confirm: password });
      assert.equal((await wrong('0000')).status(), 403);
      assert.match(await page.getByRole('alert').innerText(), /Wrong PIN\. 2 attempts left/);
      assert.equal((await wrong('1111')).status(), 403);
      assert.match(await page.getByRole('alert').innerText(), /Wrong PIN\. 1 attempt left before/);
      assert.equal((await wrong('2222')).status(), 403);
      assert.equal(await heading(page), 'Link locked');
      assert.match(await page.getByRole('alert').innerText(), /Link locked: too many wrong PINs/);
      assert.equal(await page.getByLabel('PIN (4 digits)').count(), 0, 'no form on a locked link');
      await assertOffersReset(page, main);
      await screenshot(page, 'locked');

      await later.bringToFront();
      const right = await submitSetPassword(later, { pin: PIN, password, confirm: password });
      assert.equal(right.status(), 403);
      assert.equal(await heading(later), 'Link locked');
      await openLink(later, account.link, 403);
      assert.match(await later.getByRole('alert').innerText(), /Link locked/);
      assert.equal((await keystoneLogin(main.config, account.name, account.temporary)).status, 201);

      // The offered link leads to the reset form.
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await page.waitForURL(main.config.email_defaults.password_reset_form_url);
      assert.equal(await heading(page), 'Ask for a new password link');
      assert.ok(await page.getByRole('button', { name: 'Send me a new link' }).isVisible());
    },
  );

  test('an expired link says so and offers a new one', { timeout: TEST_TIMEOUT }, async (t) => {
    const short = await startApi({ KAIZEN_SETPASS__TOKEN_EXPIRATION: '2s' });
    extraApis.push(short);
    const account = await admin.newAccount(short.api.url, PIN);
    const { page } = await newPage(t);
    await openLink(page, account.link);
    assert.match(await page.locator('body').innerText(), /This link works for 2 seconds/);

    await sleep(2300);
    // The form opened in time but sent too late…
    const password = randomPassword('Chosen');
    const late = await submitSetPassword(page, { pin: PIN, password, confirm: password });
    assert.equal(late.status(), 403);
    assert.equal(await heading(page), 'Link expired');
    // …and the link opened again.
    await openLink(page, account.link, 403);
    assert.equal(await heading(page), 'Link expired');
    assert.match(await page.getByRole('alert').innerText(), /^Token expired: this link is too old/);
    assert.equal(await page.getByLabel('PIN (4 digits)').count(), 0, 'no form on an expired link');
    await assertOffersReset(page, short);
    await screenshot(page, 'expired');
    assert.equal((await keystoneLogin(short.config, account.name, account.temporary)).status, 201);
  });

  test(
    'two different passwords are refused without using up the link',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const account = await admin.newAccount(main.api.url, PIN);
      const { page } = await newPage(t);
      await openLink(page, account.link);

      const password = randomPassword('Chosen');
      const differ = await submitSetPassword(page, {
        pin: PIN,
        password,
        confirm: `${password}x`,
      });
      assert.equal(differ.status(), 400);
      assert.match(
        await page.getByRole('alert').innerText(),
        /^The two passwords differ\. Type the same password twice\.$/,
      );
      assert.equal(await heading(page), 'Choose your password');
      assert.equal(await page.getByLabel('New password', { exact: true }).inputValue(), '');
      await screenshot(page, 'mismatch');

      const ok = await submitSetPassword(page, { pin: PIN, password, confirm: password });
      assert.equal(ok.status(), 200, await page.locator('body').innerText());
      assert.equal(await heading(page), 'Password set');
    },
  );

  test('works without JavaScript and fits a phone screen', { timeout: TEST_TIMEOUT }, async (t) => {
    const account = await admin.newAccount(main.api.url, PIN);
    const { page } = await newPage(t, {
      javaScriptEnabled: false,
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true, // honours <meta name="viewport">: without it the layout would be 980px wide
      hasTouch: true,
    });
    await openLink(page, account.link);
    assert.equal(await page.locator('script').count(), 0, 'the page ships no script');
    assert.equal(await page.evaluate<number>('window.innerWidth'), 375);
    assert.ok((await scrollWidth(page)) <= 375, `form page is ${await scrollWidth(page)}px wide`);
    await screenshot(page, 'phone-no-javascript');

    const password = randomPassword('Chosen');
    const differ = await submitSetPassword(page, { pin: PIN, password, confirm: 'Something-else' });
    assert.equal(differ.status(), 400);
    assert.ok((await scrollWidth(page)) <= 375, `error page is ${await scrollWidth(page)}px wide`);

    const response = await submitSetPassword(page, { pin: PIN, password, confirm: password });
    assert.equal(response.status(), 200, await page.locator('body').innerText());
    assert.equal(await heading(page), 'Password set');
    assert.ok((await scrollWidth(page)) <= 375, `answer page is ${await scrollWidth(page)}px wide`);
    await screenshot(page, 'phone-no-javascript-done');

    await sleep(KEYSTONE_SECOND);
    assert.equal((await keystoneLogin(main.config, account.name, password)).status, 201);
  });

  test(
    'accessibility basics: labelled inputs, a language, one h1',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const account = await admin.newAccount(main.api.url, PIN);
      const { page } = await newPage(t);
      await openLink(page, account.link);
      assert.ok((await page.locator('input:not([type=hidden])').count()) >= 3);
      assert.deepEqual(await accessibilityProblems(page), [], 'set-password form');
      await screenshot(page, 'accessibility');

      const password = randomPassword('Chosen');
      await submitSetPassword(page, { pin: '0000', password, confirm: password });
      assert.equal(await page.getByRole('alert').count(), 1);
      assert.deepEqual(await accessibilityProblems(page), [], 'form with an error');

      await openLink(page, new URL('reset', main.api.url).toString());
      assert.ok((await page.locator('input:not([type=hidden])').count()) >= 4);
      assert.deepEqual(await accessibilityProblems(page), [], 'reset form');

      await openLink(page, main.api.url, 400); // no token: a message page
      assert.deepEqual(await accessibilityProblems(page), [], 'message page');
    },
  );
});
