// End to end on the real services: Temporal dev server, Keystone, Mailpit (STARTTLS), the setpass
// API over HTTP. Nothing is mocked.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { SecretBox } from '../../api/secrets';
import type { RunningSetpass } from '../../api/server';
import { SqliteTokenStore } from '../../api/token-store-sqlite';
import type { Config } from '../../config/schema';
import { startOnboarding } from '../../wiring/start-onboarding';
import {
  cancelOnboardingSignal,
  retryMailSignal,
  searchAttributes,
  statusQuery,
  type Registration,
} from '../../shared/onboarding';
import { formSession, postForm } from '../support/forms';
import { startSystem, type TestSystem } from '../support/system';
import {
  eventually,
  keystoneLogin,
  mailRaw,
  mailsTo,
  mailText,
  temporalCli,
  uniqueName,
} from '../support/services';

const PIN = '7391';
/** Waits long enough that no reminder interferes with a test. */
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };

function registration(): Registration {
  const id = uniqueName('e2e');
  return {
    email: `${id}@example.org`,
    firstName: 'Grace',
    lastName: 'Hopper',
    project: `Proj-${id}`,
    pin: PIN,
  };
}

function runCli(args: string[], input: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', ...args],
      { env: { ...process.env, ...env }, encoding: 'utf8' },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

describe('onboarding, end to end', () => {
  let system: TestSystem;
  let taskQueue: string;
  let config: Config;
  let client: Client;
  let api: RunningSetpass;

  before(async () => {
    system = await startSystem();
    ({ taskQueue, config, client, api } = system);
  });
  after(() => system.close());

  test('an approved registration becomes a working account', async () => {
    const reg = registration();
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: PATIENT,
    });
    assert.equal((await startOnboarding(client, config, reg, { taskQueue })).alreadyRunning, true);

    const status = await eventually('the workflow to wait for the password', async () => {
      const s = await handle.query(statusQuery);
      return s.step === 'waiting-for-password' ? s : undefined;
    });
    assert.ok(status.userId && status.projectId);

    // Both mails arrived through Mailpit, over STARTTLS, with stable Message-IDs.
    const mails = await eventually('two mails', async () => {
      const found = await mailsTo(reg.email);
      return found.length >= 2 ? found : undefined;
    });
    assert.equal(mails.length, 2);
    const setpassMail = mails.find((m) => /password/i.test(m.Subject));
    assert.ok(setpassMail, 'set-password mail');
    assert.ok(
      mails.some((m) => /welcome/i.test(m.Subject)),
      'welcome mail',
    );
    assert.ok(mails.every((m) => m.MessageID.endsWith('@kaizen-onboarding')));
    // Mailpit runs with --smtp-require-starttls (plain sessions are refused, see the test below),
    // so an accepted mail went over STARTTLS.
    assert.match(await mailRaw(setpassMail.ID), /^Message-ID:\s*<onboard\./m);
    const link = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(setpassMail.ID))?.[1];
    assert.ok(link, 'the mail carries the set-password link');
    const token = new URL(link).searchParams.get('token')!;

    // The temporary password works before the change (read from the store only to prove it).
    const store = new SqliteTokenStore(config.setpass.database);
    const record = await store.byUser(status.userId);
    await store.close();
    assert.ok(record);
    const temporary = new SecretBox(config.secrets.setpass_key).decrypt(
      status.userId,
      record.passwordSealed,
    );
    assert.equal((await keystoneLogin(config, reg.email, temporary)).status, 201);

    // The page is served without consuming anything.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<label for="pin">/);
    assert.ok(html.includes(token));
    const session = await formSession(link);

    // A wrong PIN is refused and the workflow keeps waiting.
    const newPassword = `Correct-horse-${randomUUID()}`;
    const wrong = await postForm(
      api.url,
      {
        token,
        pin: '0000',
        password: newPassword,
        confirm_password: newPassword,
      },
      session,
    );
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /Wrong PIN\. 2 attempts left/);
    assert.equal((await handle.query(statusQuery)).step, 'waiting-for-password');

    const mismatch = await postForm(
      api.url,
      {
        token,
        pin: PIN,
        password: newPassword,
        confirm_password: 'other',
      },
      session,
    );
    assert.equal(mismatch.status, 400);

    const ok = await postForm(
      api.url,
      {
        token,
        pin: PIN,
        password: newPassword,
        confirm_password: newPassword,
      },
      session,
    );
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /Password set/);

    const result = await handle.result();
    assert.equal(result.outcome, 'completed');
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(searchAttributes.step), 'completed');

    // Keystone accepts the new password and refuses the temporary one.
    await new Promise((r) => setTimeout(r, 1100)); // tokens issued in the same second count as revoked
    const login = await keystoneLogin(config, reg.email, newPassword);
    assert.equal(login.status, 201);
    assert.equal((await keystoneLogin(config, reg.email, temporary)).status, 401);

    // The token is single-use.
    const again = await postForm(
      api.url,
      {
        token,
        pin: PIN,
        password: newPassword,
        confirm_password: newPassword,
      },
      session,
    );
    assert.equal(again.status, 404);

    // An ordinary member's token cannot issue setpass tokens.
    const put = await fetch(new URL(`token/${status.userId}`, api.url), {
      method: 'PUT',
      headers: { 'x-auth-token': login.token!, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'x', pin: '1234' }),
    });
    assert.equal(put.status, 403);
    const anonymous = await fetch(new URL(`token/${status.userId}`, api.url), {
      method: 'PUT',
      body: '{}',
    });
    assert.equal(anonymous.status, 401);

    // No secret in plaintext anywhere in the history, as the Temporal CLI exports it.
    const history = execFileSync(
      temporalCli(),
      [
        'workflow',
        'show',
        '--workflow-id',
        handle.workflowId,
        '--address',
        config.temporal.address,
        '--output',
        'json',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.ok(history.includes('onboardUser'), 'the export is the real history');
    const decodedStrings = [...history.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString('latin1'),
    );
    for (const secret of [token, temporary, newPassword, `"${PIN}"`]) {
      assert.ok(!history.includes(secret), `history holds ${secret} in plaintext`);
      assert.ok(
        !decodedStrings.some((s) => s.includes(secret)),
        `history holds ${secret} base64-encoded`,
      );
    }
  });

  test('reminders on the schedule, then abandoned: the search attribute and the admins say so', async () => {
    const reg = registration();
    const started = Date.now();
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: { afterMs: [1000, 2000], abandonAfterMs: 3500, linkLifetimeMs: 3_600_000 },
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'abandoned');
    assert.equal(result.remindersSent, 2);
    assert.ok(Date.now() - started >= 3500, 'not abandoned before the deadline');
    const mails = await eventually('four mails', async () => {
      const found = await mailsTo(reg.email);
      return found.length >= 4 ? found : undefined;
    });
    assert.equal(mails.length, 4, mails.map((m) => m.Subject).join(' | '));
    assert.equal(mails.filter((m) => /^Reminder: choose/.test(m.Subject)).length, 2);
    assert.equal(
      (await handle.describe()).typedSearchAttributes.get(searchAttributes.step),
      'abandoned',
    );
    const adminMail = await eventually('the abandoned mail to the admins', async () =>
      (await mailsTo(config.email_defaults.admin_email)).find((m) =>
        m.Subject.includes(`onboarding of ${reg.email} abandoned`),
      ),
    );
    assert.match(await mailText(adminMail.ID), /no password set after 2 reminders/);
  });

  test('an expired link is renewed in the reminder: the old link is dead, the new one works', async () => {
    const reg = registration();
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: { afterMs: [1000, 2500, 600_000], abandonAfterMs: 900_000, linkLifetimeMs: 2000 },
    });
    const linkIn = async (subject: RegExp) => {
      const mail = await eventually(`a mail like ${subject}`, async () =>
        (await mailsTo(reg.email)).find((m) => subject.test(m.Subject)),
      );
      return /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(mail.ID))![1]!;
    };
    const first = await linkIn(/^Choose your/);
    const reminded = await linkIn(/^Reminder: choose/);
    assert.equal(reminded, first, 'the first reminder, before expiry, carries the same link');
    const renewed = await linkIn(/a new link/);
    assert.notEqual(renewed, first);
    assert.equal((await fetch(first)).status, 404, 'the old link is dead');

    const password = `Renewed-${randomUUID()}`;
    const token = new URL(renewed).searchParams.get('token')!;
    const answer = await postForm(
      new URL('./', renewed).toString(),
      { token, pin: PIN, password, confirm_password: password },
      await formSession(renewed),
    );
    assert.equal(answer.status, 200, answer.text);
    const result = await handle.result();
    assert.equal(result.outcome, 'completed');
    assert.equal(result.remindersSent, 2, 'no reminder after the password is set');
    assert.equal((await keystoneLogin(config, reg.email, password)).status, 201);
    assert.equal((await handle.query(statusQuery)).linksSent, 2);
  });

  test('admin actions from the CLI: extend the deadline, resend the link, cancel', async () => {
    const reg = registration();
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: { afterMs: [], abandonAfterMs: 4000, linkLifetimeMs: 3_600_000 },
    });
    const cli = (...args: string[]) =>
      runCli(args, '', {
        KAIZEN_SETTINGS: 'example_settings.ini',
        KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      });
    await eventually('waiting for the password', async () =>
      (await handle.query(statusQuery)).step === 'waiting-for-password' ? true : undefined,
    );
    const before = Date.parse((await handle.query(statusQuery)).abandonAt!);
    assert.match(
      await cli('extend', handle.workflowId, '1h'),
      /extend done: .* step waiting-for-password/,
    );
    assert.equal(Date.parse((await handle.query(statusQuery)).abandonAt!), before + 3_600_000);

    const resent = await cli('resend', handle.workflowId);
    assert.match(resent, /links sent 2/);
    const links = await eventually('two set-password mails', async () => {
      const found = (await mailsTo(reg.email)).filter((m) => /^Choose your/.test(m.Subject));
      return found.length >= 2 ? found : undefined;
    });
    const tokens = await Promise.all(
      links.map(async (m) => /\?token=([A-Za-z0-9_-]+)/.exec(await mailText(m.ID))![1]!),
    );
    assert.notEqual(tokens[0], tokens[1]);
    const alive = await Promise.all(
      tokens.map(async (t) => (await fetch(`${api.url}?token=${t}`)).status),
    );
    assert.deepEqual(alive.sort(), [200, 404], 'only the newest link works');

    // Past the original 4 s deadline: still waiting, thanks to the extension.
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal((await handle.query(statusQuery)).step, 'waiting-for-password');
    await cli('cancel', handle.workflowId, 'registered', 'twice');
    const result = await handle.result();
    assert.equal(result.outcome, 'cancelled');
    assert.equal(
      (await handle.describe()).typedSearchAttributes.get(searchAttributes.step),
      'cancelled',
    );
  });

  test('an address the mail server refuses: the admins are told, the onboarding waits for retry or cancel', async () => {
    // The local Mailpit refuses the reserved TLD .invalid with a 5xx (scripts/services.sh).
    const reg = { ...registration(), email: `${uniqueName('nobody')}@refused.invalid` };
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: PATIENT,
    });
    const refused = await eventually('the onboarding to wait for an admin', async () => {
      const s = await handle.query(statusQuery);
      return s.step === 'mail-refused' ? s : undefined;
    });
    assert.match(refused.mailRefused ?? '', /refused .*@refused\.invalid \(SMTP 5\d\d\)/);
    assert.equal(
      (await handle.describe()).typedSearchAttributes.get(searchAttributes.step),
      'mail-refused',
    );
    const toAdmins = async () =>
      (await mailsTo(config.email_defaults.admin_email)).filter((m) =>
        m.Subject.includes(`mail to ${reg.email} refused`),
      );
    await eventually('the admins told', async () =>
      (await toAdmins()).length === 1 ? true : undefined,
    );

    await handle.signal(retryMailSignal, { by: 'test' });
    await eventually('a second refusal after the retry', async () =>
      (await toAdmins()).length === 2 ? true : undefined,
    );
    assert.equal((await handle.query(statusQuery)).step, 'mail-refused');
    await handle.signal(cancelOnboardingSignal, { by: 'test', reason: 'address does not exist' });
    const result = await handle.result();
    assert.equal(result.outcome, 'cancelled');
  });

  test('SMTP down for a while: every mail goes out once it is back, exactly once', async () => {
    const services = (...args: string[]) =>
      execFileSync('scripts/services.sh', args, { stdio: 'ignore' });
    const reg = registration();
    services('stop', 'mailpit');
    try {
      const { handle } = await startOnboarding(client, config, reg, {
        taskQueue,
        reminders: PATIENT,
      });
      await eventually('the mail step', async () =>
        (await handle.query(statusQuery)).step === 'sending-mail' ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal((await handle.query(statusQuery)).step, 'sending-mail', 'waits, does not fail');
    } finally {
      services('start', 'mailpit');
    }
    const mails = await eventually(
      'both mails after the server is back',
      async () => {
        const found = await mailsTo(reg.email);
        return found.length >= 2 ? found : undefined;
      },
      90_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      (await mailsTo(reg.email)).map((m) => m.Subject.replace(/Kaizen cloud/, 'X')).sort(),
      ['Choose your X password', 'Welcome to X'],
      `exactly once each: ${mails.length}`,
    );
  });

  test('the CLI starts an onboarding from a CSV row and follows it until it waits', async () => {
    const id = uniqueName('cli');
    const csv =
      'Approved,Email,First name,Last name,PIN,New project name\n' +
      `approved,${id}@example.org,Alan,Turing,${PIN},Proj-${id}\n`;
    // Asynchronously: the worker serving this onboarding runs in this very process.
    const output = await runCli(['start', '--csv', '-'], csv, {
      KAIZEN_SETTINGS: 'example_settings.ini',
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_SETPASS__SETPASS_URL: api.url,
    });
    assert.match(output, new RegExp(`started: onboard:${id}@example.org:proj-${id}`));
    // Each step it sees, timestamped, until the wait; the Keystone steps run within one
    // workflow task (local activities), so it may see none of them before the mails.
    assert.match(output, /^ {2}\S+Z {2}waiting-for-password$/m);
  });

  test('a password set while Temporal is down still completes the onboarding', async () => {
    const reg = registration();
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: PATIENT,
    });
    const setpassMail = await eventually('the set-password mail', async () =>
      (await mailsTo(reg.email)).find((m) => /password/i.test(m.Subject)),
    );
    const link = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(setpassMail.ID))?.[1];
    assert.ok(link);
    const session = await formSession(link);
    const token = new URL(link).searchParams.get('token')!;
    const pw = `While-down-${randomUUID()}`;

    execFileSync('scripts/services.sh', ['stop', 'temporal'], { stdio: 'ignore' });
    try {
      const ok = await postForm(
        api.url,
        { token, pin: PIN, password: pw, confirm_password: pw },
        session,
      );
      assert.equal(ok.status, 200, ok.text);
    } finally {
      execFileSync('scripts/services.sh', ['start', 'temporal'], { stdio: 'ignore' });
    }
    const result = await handle.result();
    assert.equal(result.outcome, 'completed');
  });

  test('the SMTP server refuses mail sent without STARTTLS', async () => {
    const plain = nodemailer.createTransport({
      host: config.mail.smtp_host,
      port: config.mail.smtp_port,
      ignoreTLS: true,
    });
    await assert.rejects(
      plain.sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 'x', text: 'x' }),
      /STARTTLS|TLS/i,
    );
  });
});
