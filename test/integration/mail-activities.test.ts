// The sendMail activity against the real Mailpit: a mail server that stops answering fails the
// attempt after [mail] send_timeout (so Temporal retries it) instead of holding the activity
// slot for good. The server is frozen with SIGSTOP, as a hung relay would be.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { SendMailInput } from '../../shared/activity-contracts';
import { createActivities } from '../../worker/activities-over-clients';
import { mailTransport } from '../../clients/smtp-transport';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { eventually, mailsTo, testConfig, uniqueName } from '../support/services';

function mailpitPid(): number {
  const state = process.env.KAIZEN_STATE_DIR ?? '.state';
  return Number(readFileSync(join(state, 'run', 'mailpit.pid'), 'utf8').trim());
}

describe('sendMail on a real SMTP server', () => {
  const config = testConfig({ KAIZEN_MAIL__SEND_TIMEOUT: '2s' });
  const transport = mailTransport(config);
  after(() => transport.close());
  const activities = createActivities(config, {
    keystone: keystoneFromConfig(config),
    transport,
    temporal: () => Promise.reject(new Error('no Temporal client in this test')),
  });
  const mock = new MockActivityEnvironment();
  const send = (input: SendMailInput) =>
    mock.run(activities.sendMail, input) as Promise<{ messageId: string }>;
  const mail = (to: string): SendMailInput => ({
    template: 'welcome',
    to,
    fullName: 'Stalled Server',
    project: 'mail-test',
    messageKey: uniqueName('mail'),
  });

  // Without the deadline the send waits out nodemailer's 10-minute socket timeout.
  const limit = { timeout: 60_000 };
  test(
    'a server that stops answering fails the attempt after send_timeout, retryably',
    limit,
    async () => {
      const to = `${uniqueName('stall')}@example.org`;
      await send(mail(to)); // the pool now holds an open connection to the server
      const pid = mailpitPid();
      process.kill(pid, 'SIGSTOP');
      // Thawed even if the send below hangs past the test's timeout: later tests need the server.
      const thaw = setTimeout(() => process.kill(pid, 'SIGCONT'), 20_000);
      const started = Date.now();
      try {
        await assert.rejects(send(mail(to)), (err: unknown) => {
          assert.ok(!(err instanceof ApplicationFailure && err.nonRetryable), 'must be retried');
          assert.match(String(err), new RegExp(`SMTP send to ${to} unanswered after 2 s`));
          assert.match(String(err), /\[mail\] send_timeout/);
          return true;
        });
      } finally {
        clearTimeout(thaw);
        process.kill(pid, 'SIGCONT');
      }
      const waited = Date.now() - started;
      assert.ok(waited >= 1_900 && waited < 30_000, `gave up after ${waited} ms`);

      // The server is back: the next send goes out.
      const later = `${uniqueName('back')}@example.org`;
      await send(mail(later));
      await eventually('the mail sent after the server came back', async () =>
        (await mailsTo(later)).length === 1 ? true : undefined,
      );
    },
  );
});
