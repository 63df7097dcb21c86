// What the browser tests need: Debian's Chromium driven by playwright-core, a setpass API on a
// free port, and Keystone users registered with it through the admin REST API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import type { Config } from '../../config/schema';
import { testConfig, uniqueName, adminToken } from '../support/services';

export const SCREENSHOT_DIR = resolve(__dirname, '../../test-artifacts/screenshots');

/**
 * Headless Chromium from the system, with a fresh profile (chromium.launch uses a temp dir);
 * `extraArgs` e.g. trust one test certificate (--ignore-certificate-errors-spki-list).
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface TestApi {
  config: Config;
  api: RunningSetpass;
  /** Everything the API logged, to show on failure and to check that no secret is logged. */
  logs: string[];
}

/**
 * A setpass API on its own SQLite store. The port is chosen first so that the "Ask for a new
 * link" address (password_reset_form_url) points at this very server and can be followed.
 */
export async function startApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const port = await freePort();
  const config = testConfig({
    KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${port}/`,
    KAIZEN_EMAIL_DEFAULTS__PASSWORD_RESET_FORM_URL: `http://127.0.0.1:${port}/reset`,
    ...overrides,
  });
  const logs: string[] = [];
  const api = await startSetpassServer(config, {
    port,
    log: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
  });
  return { config, api, logs };
}

export const randomPassword = (prefix: string) =>
  `${prefix}-${randomBytes(12).toString('base64url')}`;

async function keystone(
  config: Config,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<globalThis.Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-auth-token'] = token;
  return fetch(`${config.auth.auth_url.replace(/\/+$/, '')}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface TestAccount {
  userId: string;
  name: string;
  temporary: string;
  token: string;
  link: string;
}

/** Keystone admin through its REST API: creates users, registers them with a setpass API. */
export class KeystoneAdmin {
  private readonly created: string[] = [];

  private constructor(
    private readonly config: Config,
    readonly token: string,
  ) {}

  static async connect(config: Config): Promise<KeystoneAdmin> {
    return new KeystoneAdmin(config, await adminToken(config));
  }

  /**
   * A new Keystone user with a random temporary password, registered with `apiUrl` under `pin`.
   * Returns the set-password link the mail would carry.
   */
  async newAccount(apiUrl: string, pin: string): Promise<TestAccount> {
    const name = uniqueName('browser');
    const created = await keystone(this.config, 'POST', '/users', this.token, {
      user: { name, domain_id: this.config.auth.domain_id, enabled: true },
    });
    const createdText = await created.text();
    assert.equal(created.status, 201, `create user: ${createdText}`);
    const userId = (JSON.parse(createdText) as { user: { id: string } }).user.id;
    this.created.push(userId);

    const temporary = randomPassword('Temp');
    const patched = await keystone(
      this.config,
      'PATCH',
      `/users/${encodeURIComponent(userId)}`,
      this.token,
      { user: { password: temporary } },
    );
    assert.equal(patched.status, 200, `set temporary password: ${await patched.text()}`);

    const put = await fetch(new URL(`token/${encodeURIComponent(userId)}`, apiUrl), {
      method: 'PUT',
      headers: { 'x-auth-token': this.token, 'content-type': 'application/json' },
      body: JSON.stringify({ password: temporary, pin }),
    });
    const token = await put.text();
    assert.equal(put.status, 200, `PUT /token: ${token}`);
    assert.match(token, /^[A-Za-z0-9_-]{20,}$/);
    const link = new URL(apiUrl);
    link.searchParams.set('token', token);
    return { userId, name, temporary, token, link: link.toString() };
  }

  /** Deletes the users this instance created; best effort. */
  async cleanup(): Promise<void> {
    for (const id of this.created.splice(0)) {
      await keystone(this.config, 'DELETE', `/users/${encodeURIComponent(id)}`, this.token).then(
        (r) => r.text(),
        () => undefined,
      );
    }
  }
}

export interface SetPasswordFields {
  pin: string;
  password: string;
  confirm: string;
}

/**
 * Fills the set-password form by its labels, submits it with the button and waits for the
 * answer page to load. Returns the HTTP response to the POST.
 */
export async function submitSetPassword(page: Page, fields: SetPasswordFields): Promise<Response> {
  await page.getByLabel('PIN (4 digits)').fill(fields.pin);
  await page.getByLabel('New password', { exact: true }).fill(fields.password);
  await page.getByLabel('New password, again').fill(fields.confirm);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST');
  const loaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Set password' }).click();
  const response = await answered;
  await loaded;
  return response;
}

/** The basics an automated check can prove: labelled inputs, a language, one h1. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const lang = await page.locator('html').getAttribute('lang');
  if (!lang || !/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(lang)) problems.push(`html lang is ${lang}`);
  const h1 = await page.locator('h1').count();
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  const title = await page.title();
  if (!title.trim()) problems.push('empty <title>');
  for (const input of await page.locator('input:not([type=hidden])').all()) {
    const id = await input.getAttribute('id');
    const name = await input.getAttribute('name');
    if (!id) {
      problems.push(`input ${name} has no id`);
      continue;
    }
    const labels = await page.locator(`label[for="${id}"]`).count();
    if (labels !== 1) problems.push(`input #${id} has ${labels} label[for] elements`);
    const described = await input.getAttribute('aria-describedby');
    for (const ref of described?.split(/\s+/).filter(Boolean) ?? []) {
      if ((await page.locator(`[id="${ref}"]`).count()) !== 1) {
        problems.push(`input #${id} is described by missing #${ref}`);
      }
    }
  }
  return problems;
}

export const scrollWidth = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
