// The real cadences of an onboarding waiting for its password — a 48-hour link, reminders after
// 1, 3 and 7 days, abandoned after 14 — in seconds, on Temporal's time-skipping test server. The
// activities are the real ones: Keystone, the setpass API and Mailpit answer in real time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import { dataConverterFor } from '../../lib/payload-encryption';
import type { Config } from '../../config/schema';
import { startOnboarding } from '../../wiring/start-onboarding';
import { passwordSetSignal, statusQuery, type Registration } from '../../shared/onboarding';
import { createWorker } from '../../worker/create-worker';
import { eventually, mailsTo, mailText, testConfig, uniqueName } from '../support/services';
import { timeSkippingEnv } from '../support/time-skipping';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The production defaults: [reminder] schedule 1d,3d,7d, abandon_after 14d, 48h links. */
const POLICY = {
  afterMs: [1 * DAY, 3 * DAY, 7 * DAY],
  abandonAfterMs: 14 * DAY,
  linkLifetimeMs: 48 * HOUR,
};

describe('reminders over their real durations (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let api: RunningSetpass;
  let config: Config;
  const taskQueue = uniqueName('time-skipping');
  const adminEmail = `${uniqueName('ts-admins')}@example.org`;

  before(async () => {
    const base = testConfig({ KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: adminEmail });
    // The client encrypts payloads with the worker's key, as in production.
    env = await timeSkippingEnv({ dataConverter: dataConverterFor(base.secrets.codec_key) });
    api = await startSetpassServer(base, { port: 0, log: () => undefined });
    config = testConfig({
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: adminEmail,
      KAIZEN_SETPASS__SETPASS_URL: api.url,
      KAIZEN_SETPASS__DATABASE: base.setpass.database,
    });
  });
  after(async () => {
    await api.close();
    await env.teardown();
  });

  /** A worker runs once: each test gets its own on the test server's connection. */
  const worker = () => createWorker(config, taskQueue, env.nativeConnection);
  const registration = (): Registration => {
    const id = uniqueName('ts');
    return {
      email: `${id}@example.org`,
      firstName: 'Time',
      lastName: 'Skipper',
      project: `Proj-${id}`,
      pin: '2468',
    };
  };
  const tokenIn = async (id: string) => /\?token=([A-Za-z0-9_-]+)/.exec(await mailText(id))?.[1];

  test('a week of reminders, new links after 48 h, abandoned at day 14 — in seconds', async () => {
    const reg = registration();
    const wallStart = Date.now();
    const serverStart = await env.currentTimeMs();
    const { handle } = await startOnboarding(env.client, config, reg, {
      taskQueue,
      reminders: POLICY,
    });
    const result = await (await worker()).runUntil(handle.result());
    const wallMs = Date.now() - wallStart;
    const skipped = (await env.currentTimeMs()) - serverStart;

    assert.equal(result.outcome, 'abandoned');
    assert.equal(result.remindersSent, 3);
    assert.ok(skipped >= 14 * DAY, `server time moved ${skipped / DAY} days`);
    assert.ok(wallMs < 60_000, `took ${wallMs} ms of wall time`);

    const mails = await eventually('five mails', async () => {
      const found = await mailsTo(reg.email);
      return found.length >= 5 ? found : undefined;
    });
    const subjects = mails.map((m) => m.Subject).sort();
    assert.deepEqual(
      subjects.map((s) => s.replace(/Kaizen cloud/, 'X')),
      [
        'Choose your X password',
        'Reminder: a new link to set your X password',
        'Reminder: a new link to set your X password',
        'Reminder: choose your X password',
        'Welcome to X',
      ].sort(),
    );
    // Day 1: the first link still works (same token). Days 3 and 7: it had expired, new ones.
    const byTime = [...mails].reverse(); // Mailpit lists newest first
    const tokens = await Promise.all(
      byTime.filter((m) => /password/i.test(m.Subject)).map((m) => tokenIn(m.ID)),
    );
    assert.equal(tokens.length, 4);
    assert.equal(tokens[1], tokens[0], 'the day-1 reminder carries the first link');
    assert.equal(new Set(tokens).size, 3, 'days 3 and 7 carry new links');
    const admin = await eventually('the abandoned mail', async () =>
      (await mailsTo(adminEmail)).find((m) => m.Subject.includes(reg.email)),
    );
    assert.match(admin.Subject, /abandoned/);
    // Two weeks of waiting keep the history small: no continue-as-new needed at this cadence.
    const events = (await handle.fetchHistory()).events?.length ?? 0;
    assert.ok(events > 0 && events < 200, `${events} history events`);
  });

  test('the reminders stop the moment the password is set (day 2)', async () => {
    const reg = registration();
    const { handle } = await startOnboarding(env.client, config, reg, {
      taskQueue,
      reminders: POLICY,
    });
    const result = await (
      await worker()
    ).runUntil(async () => {
      const { userId } = await eventually('the onboarding to wait', async () => {
        const status = await handle.query(statusQuery);
        return status.step === 'waiting-for-password' ? status : undefined;
      });
      await env.sleep(2 * DAY);
      await handle.signal(passwordSetSignal, { userId: userId!, at: new Date().toISOString() });
      const done = await handle.result();
      await env.sleep(30 * DAY); // nothing more may happen
      return done;
    });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.remindersSent, 1, 'only the day-1 reminder');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await mailsTo(reg.email)).length, 3, 'welcome, link, one reminder');
  });
});
