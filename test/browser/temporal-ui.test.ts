// The Temporal Web UI of the local dev server in a real headless Chromium, decoding a waiting
// onboarding's payloads through the codec endpoint run here: an admin sees the e-mail, the
// project, the summary and the current details, and «redacted» where the PIN and the set-password
// token are; neither value reaches the page. Screenshots go to test-artifacts/screenshots/, and
// the workflow page to docs/admin-ui.png for docs/operations.md.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCodecServer, type RunningCodec } from '../../codec/server';
import { parseHostPort } from '../../config/load';
import type { Config } from '../../config/schema';
import { startOnboarding } from '../../wiring/start-onboarding';
import {
  onboardingSummary,
  searchAttributes,
  statusQuery,
  type Registration,
  type ReminderPolicy,
} from '../../shared/onboarding';
import { REDACTED } from '../../shared/secret-fields';
import type { onboardUser } from '../../workflows';
import { eventually, mailsTo, mailText, testConfig, uniqueName } from '../support/services';
import { startSystem, type TestSystem } from '../support/system';
import { launchChromium, SCREENSHOT_DIR, screenshot } from './support';

// A leading zero: no byte count, duration or event id on the page reads like this PIN.
const PIN = '0472';
const PATIENT: ReminderPolicy = {
  afterMs: [3_600_000],
  abandonAfterMs: 7_200_000,
  linkLifetimeMs: 172_800_000,
};
/** The UI decodes lazily, one request per payload, on a shared 2-core machine. */
const UI_TIMEOUT = 60_000;
const TEST_TIMEOUT = 180_000;
const VIEWPORT = { width: 1400, height: 1000 };
const DOCS_IMAGE = resolve(__dirname, '../../docs/admin-ui.png');
// The UI the dev server runs (scripts/services.sh); the codec endpoint allows this very origin.
const UI = (process.env.KAIZEN_TEMPORAL_UI ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');

/** Who listens on a local TCP port, as far as `ss` can tell. */
function portHolder(port: number): string {
  try {
    const listing = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(listing)?.[1];
    if (!pid)
      return listing.trim() ? `a process of another user (${listing.trim()})` : 'nobody now';
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .replace(/\s+|\0/g, ' ')
      .trim();
    return `pid ${pid}: ${command}`;
  } catch {
    return 'a process that ss could not name';
  }
}

/**
 * The codec endpoint on [codec] listen itself: the dev server's UI was started with that address
 * (--ui-codec-endpoint), so a free port would not be called.
 */
async function startCodecForUi(config: Config, log: string[]): Promise<RunningCodec> {
  const listen = config.codec.listen;
  try {
    return await startCodecServer(config, {
      log: (message, fields) => log.push(JSON.stringify({ message, ...fields })),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const port = parseHostPort(listen)?.port ?? 0;
    throw new Error(
      `cannot run the codec endpoint on ${listen} ([codec] listen, KAIZEN_CODEC__LISTEN): the port ` +
        `is taken by ${portHolder(port)}. The Web UI at ${UI} decodes through that address, so ` +
        `this test must listen there: stop that process (the demo's codec endpoint: ` +
        `kill "$(cat .state/run/codec.pid)") and run the test again.`,
      { cause: err },
    );
  }
}

/** The text of the page and of its frames (the UI renders Markdown in iframes). */
async function allText(page: Page): Promise<string> {
  const texts = await Promise.all(
    page.frames().map((frame) =>
      frame
        .locator('body')
        .innerText()
        .catch(() => ''),
    ),
  );
  return texts.join('\n');
}

/** The page's markup and its frames', to look for a secret outside the visible text too. */
async function allMarkup(page: Page): Promise<string> {
  const markup = await Promise.all(page.frames().map((frame) => frame.content().catch(() => '')));
  return markup.join('\n');
}

/** `text` as JSON, or undefined while it is not (yet) JSON. */
function parsed(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** The JSON documents the page's code views (payloads) show, once they parse. */
async function shownJson(page: Page): Promise<unknown[]> {
  const texts = await page.getByRole('textbox').allInnerTexts();
  return texts.map(parsed).filter((json) => json !== undefined);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every object in a decoded JSON value, at any depth: the UI nests a marker's payloads. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  const inner = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  return [...(isObject(value) ? [value] : []), ...inner.flatMap(objectsIn)];
}

describe('Temporal Web UI through the codec endpoint', () => {
  let system: TestSystem;
  let codec: RunningCodec;
  let browser: Browser;
  let context: BrowserContext;
  let handle: WorkflowHandle<typeof onboardUser> | undefined;
  let workflowId: string;
  let runId: string;
  let registration: Registration;
  /** The set-password token, as the mail's link carries it. */
  let token: string;
  const codecLog: string[] = [];

  /** `eventually` for the page, saying on timeout what the codec endpoint was asked. */
  async function inPage<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    try {
      return await eventually(what, probe, UI_TIMEOUT);
    } catch (err) {
      const requests = codecLog.slice(-10).join('\n') || '(none: the UI never called it)';
      throw new Error(`${(err as Error).message}\nlast codec endpoint requests:\n${requests}`, {
        cause: err,
      });
    }
  }

  /** Neither the PIN nor the token anywhere in the page's text, nor the token in its markup. */
  async function assertNoSecret(page: Page, where: string): Promise<void> {
    const text = await allText(page);
    // Run ids and request ids are UUIDs: one of their 4-digit groups could read like the PIN.
    const words = text.replace(/\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/gi, ' ');
    assert.doesNotMatch(words, new RegExp(`\\b${PIN}\\b`), `the PIN is shown on ${where}`);
    assert.ok(!text.includes(token), `the set-password token is shown on ${where}`);
    assert.ok(!(await allMarkup(page)).includes(token), `the token is in the markup of ${where}`);
  }

  before(async () => {
    // The codec endpoint first: a taken port fails before the worker is built. It needs only the
    // codec settings and key, the same for the whole system.
    const codecConfig = testConfig();
    assert.ok(
      codecConfig.codec.allowed_origins.includes(UI),
      `[codec] allowed_origins (${codecConfig.codec.allowed_origins.join(', ')}) must hold ${UI}`,
    );
    codec = await startCodecForUi(codecConfig, codecLog);
    const settings = (await (await fetch(`${UI}/api/v1/settings`)).json()) as {
      Codec?: { Endpoint?: string };
    };
    assert.equal(
      settings.Codec?.Endpoint?.replace(/\/+$/, ''),
      codec.url,
      `the Web UI at ${UI} decodes through ${settings.Codec?.Endpoint || 'no codec endpoint'}, ` +
        `not ${codec.url}: scripts/services.sh stop temporal && scripts/services.sh start temporal`,
    );

    system = await startSystem();
    const { config } = system;

    const id = uniqueName('ui');
    registration = {
      email: `${id}@example.org`,
      firstName: 'Ada',
      lastName: 'Admin',
      project: uniqueName('Proj-ui'),
      pin: PIN,
    };
    const started = await startOnboarding(system.client, config, registration, {
      taskQueue: system.taskQueue,
      reminders: PATIENT,
    });
    handle = started.handle;
    await eventually('the onboarding to wait for the password', async () => {
      const status = await started.handle.query(statusQuery);
      return status.step === 'waiting-for-password' ? status : undefined;
    });
    workflowId = handle.workflowId;
    runId = (await handle.describe()).runId;

    const mail = await eventually('the set-password mail', async () =>
      (await mailsTo(registration.email)).find((m) => /password/i.test(m.Subject)),
    );
    const mailed = /\?token=([A-Za-z0-9_-]+)/.exec(await mailText(mail.ID))?.[1];
    assert.ok(mailed && mailed.length >= 20, 'the set-password mail carries the link');
    token = mailed;

    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT });
    context.setDefaultTimeout(UI_TIMEOUT);
  });

  after(async () => {
    await handle?.terminate('browser test over').catch(() => undefined);
    await context?.close();
    await browser?.close();
    await codec?.close();
    await system?.close();
  });

  const workflowUrl = (tab: string) =>
    `${UI}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/${tab}`;

  test(
    "an onboarding's page shows its decoded input, summary and details, secrets redacted",
    { timeout: TEST_TIMEOUT },
    async () => {
      const page = await context.newPage();
      await page.goto(workflowUrl('history'));

      // The input, decoded: the person and the project, the PIN redacted.
      const input = page.getByTestId('input-and-result').getByRole('textbox', { name: 'Input' });
      const decoded = await inPage('the decoded input', async () => {
        const json = parsed((await input.allInnerTexts())[0]);
        return isObject(json) && 'registration' in json ? json : undefined;
      });
      assert.deepEqual(decoded, {
        registration: { ...registration, pin: REDACTED },
        reminders: PATIENT,
      });
      // The header and the input at the top of the page: the picture in docs/operations.md.
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = join(SCREENSHOT_DIR, 'temporal-ui-onboarding.png');
      await page.screenshot({ path: shot });
      mkdirSync(resolve(DOCS_IMAGE, '..'), { recursive: true });
      copyFileSync(shot, DOCS_IMAGE);

      // The first event carries the summary.
      const summary = onboardingSummary(registration);
      await inPage('the summary in the history', async () =>
        (await allText(page)).includes(summary) ? true : undefined,
      );

      // The token: the result of the step that made the user with its link (a local activity,
      // recorded as a marker the UI shows as such; its input, with the PIN, is not recorded) and the set-password mail's
      // input, once expanded.
      const rows = page.getByTestId('event-summary-row');
      for (const found of [
        rows.filter({ hasText: 'Local Activity' }).filter({ hasText: 'ensureUserWithLink' }),
        rows.filter({ hasText: 'Activity Task Scheduled' }).filter({ hasText: 'sendMail' }),
      ]) {
        await found.first().waitFor();
        for (const row of await found.all()) {
          await row.getByRole('button', { name: 'Expand details' }).click();
        }
      }
      const shown = await inPage('the expanded steps, decoded', async () => {
        const json = (await shownJson(page)).flatMap(objectsIn);
        const issued = json.find((p) => 'token' in p);
        const mailed = json.find((p) => p.template === 'set-password');
        return issued && mailed ? { issued, mailed } : undefined;
      });
      assert.equal(shown.issued.token, REDACTED, "ensureUserWithLink's result");
      assert.equal(shown.issued.created, true);
      assert.equal(shown.mailed.to, registration.email);
      assert.equal(shown.mailed.setpassToken, REDACTED, "the set-password sendMail's input");
      await screenshot(page, 'temporal-ui-onboarding-events');
      await assertNoSecret(page, 'the history page');

      // Summary and current details (Markdown, each in its own frame).
      await page.getByRole('tab', { name: 'User Metadata' }).click();
      await page.waitForURL(/\/user-metadata$/);
      const details = await inPage('the summary and the current details', async () => {
        const text = await allText(page);
        return text.includes(summary) && /Step:\s*waiting for the password/.test(text)
          ? text
          : undefined;
      });
      assert.ok(details.includes(`${registration.email} has not yet set a password`), details);
      assert.match(details, /Reminders sent:\s*0; links mailed: 1/);
      await screenshot(page, 'temporal-ui-details');
      await assertNoSecret(page, 'the user metadata tab');

      // The UI decoded through this codec endpoint, and was allowed to.
      const requests = codecLog.map((line) => JSON.parse(line) as Record<string, unknown>);
      const decodes = requests.filter((r) => r.path === '/decode' && r.method === 'POST');
      assert.ok(decodes.length > 0, 'the UI called POST /decode');
      assert.deepEqual(
        requests.filter((r) => r.status !== 200 && r.status !== 204),
        [],
        'the codec endpoint refused nothing',
      );
      assert.ok(decodes.every((r) => r.origin === UI));
      assert.ok(!codecLog.join('\n').includes(token), 'the token reached the codec log');
    },
  );

  test('the workflows list shows the onboarding', { timeout: TEST_TIMEOUT }, async () => {
    const page = await context.newPage();
    const query = `WorkflowId="${workflowId}"`;
    await page.goto(`${UI}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    // The list API carries no summary (user metadata): the e-mail shows in the workflow id.
    const row = page.getByRole('row').filter({ hasText: workflowId });
    await row.first().waitFor();
    const text = await row.first().innerText();
    assert.ok(text.includes(registration.email), text);
    assert.match(text, /RUNNING/i);
    assert.match(text, /onboardUser/);
    // The row leads to this run (its Timeline tab).
    const href = await row.first().getByRole('link', { name: workflowId }).getAttribute('href');
    assert.equal(
      href,
      `/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/timeline`,
    );
    await screenshot(page, 'temporal-ui-list');
    await assertNoSecret(page, 'the workflows list');

    // The search attributes as columns, the way docs/operations.md tells an admin to add them.
    await page.getByRole('button', { name: 'Configure Columns' }).click();
    const columns = Object.values(searchAttributes)
      .map((key) => key.name)
      .filter((name) => name !== searchAttributes.reminders.name);
    for (const name of columns)
      await page.getByRole('button', { name: `Add ${name} column`, exact: true }).click();
    await page.getByTestId('drawer-close-button').click();
    const headers = await page.locator('thead th').allInnerTexts();
    assert.deepEqual(headers.slice(-columns.length), columns);
    const cells = await row.first().innerText();
    for (const value of ['waiting-for-password', registration.email, registration.project])
      assert.ok(cells.includes(value), `${value} in ${cells}`);
    await screenshot(page, 'temporal-ui-list-columns');
  });
});
