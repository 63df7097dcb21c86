// `cli audit` on the real services: an onboarding run to its end (the password set through the
// real setpass API with the mailed link and PIN, as the person would), then the CLI, run as an
// admin runs it (its own process, settings and codec key), tells what happened, in order, from
// Temporal's visibility and history alone, and prints no PIN, token or password.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SecretBox } from '../../api/secrets';
import { SqliteTokenStore } from '../../api/token-store-sqlite';
import type { TimelineEntry } from '../../cli/audit-timeline';
import { statusQuery, type Registration } from '../../shared/onboarding';
import { startOnboarding } from '../../wiring/start-onboarding';
import { linkFromMail, setPasswordFromMail } from '../support/forms';
import { eventually, uniqueName } from '../support/services';
import { cliProcess, type CliRun } from '../support/cli-process';
import { startSystem, type TestSystem } from '../support/system';

const PIN = '8264';
/** No reminder comes while the test runs. */
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };

describe('cli audit', () => {
  let system: TestSystem;
  let cli: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    system = await startSystem();
    cli = cliProcess(system.taskQueue);
  });
  after(() => system.close());

  test('an onboarding to its password, in order, and no secret', async () => {
    const { client, config, taskQueue } = system;
    const id = uniqueName('audit');
    const reg: Registration = {
      email: `${id}@example.org`,
      firstName: 'Ada',
      lastName: 'Audit',
      project: `Proj-${id}`,
      pin: PIN,
    };
    const { handle } = await startOnboarding(client, config, reg, {
      taskQueue,
      reminders: PATIENT,
    });
    const link = await linkFromMail(reg.email);
    const token = new URL(link).searchParams.get('token')!;
    // The temporary password, read from the store only to prove the audit never shows it.
    const { userId } = await handle.query(statusQuery);
    const store = new SqliteTokenStore(config.setpass.database);
    const record = await store.byUser(userId!);
    await store.close();
    const temporary = new SecretBox(config.secrets.setpass_key).decrypt(
      userId!,
      record!.passwordSealed,
    );
    const password = `Audit-${randomUUID()}`;
    const answer = await setPasswordFromMail(reg.email, PIN, password);
    assert.equal(answer.status, 200, answer.text);
    assert.equal((await handle.result()).outcome, 'completed');

    // Visibility catches up on its own time: ask until the audit has the end.
    const json = await eventually('the audit to show the completed onboarding', async () => {
      const run = await cli('audit', reg.email, '--json');
      return run.code === 0 && run.stdout.includes('"onboarding completed"') ? run : undefined;
    });
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineEntry);
    assert.ok(entries.every((e) => e.workflowId === handle.workflowId));
    const times = entries.map((e) => e.at);
    assert.deepEqual([...times].sort(), times, 'in time order');

    // The approval (the start), the account, the mails and the password, in this order.
    const said = entries.map((e) => (e.what === 'mail sent' ? `mail ${e.detail}` : e.what));
    const expected = [
      'onboarding started',
      'project made',
      'user made',
      'role granted',
      `mail 'welcome' to ${reg.email}`,
      `mail 'set-password' to ${reg.email}`,
      'password set',
      'onboarding completed',
    ];
    const at = expected.map((what) => said.indexOf(what));
    assert.ok(
      at.every((i) => i >= 0),
      `each of ${expected.join(', ')} in:\n${said.join('\n')}`,
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      `in order:\n${said.join('\n')}`,
    );
    assert.equal(said.at(-1), 'onboarding completed');
    assert.match(entries[0]!.detail, new RegExp(`^${reg.email} into ${reg.project};`));
    assert.equal(entries.find((e) => e.what === 'password set')!.detail, reg.email);

    // The table an admin reads, and the same story asked by project.
    const table = await cli('audit', reg.email);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME \(UTC\) +WORKFLOW +WHAT +DETAIL$/m);
    assert.match(table.stdout, new RegExp(`^${entries.length} entries from 1 workflow$`, 'm'));
    const byProject = await cli('audit', reg.project, '--json');
    assert.equal(byProject.stdout, json.stdout);

    for (const printed of [json.stdout, table.stdout]) {
      for (const secret of [token, temporary, password])
        assert.ok(!printed.includes(secret), 'a token or password is printed');
      // The PIN as a value of its own (four digits may occur inside an id).
      assert.doesNotMatch(printed, new RegExp(`(?<![0-9a-f])${PIN}(?![0-9a-f])`));
    }

    const nobody = await cli('audit', `${uniqueName('nobody')}@example.org`);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no workflow of .* in Temporal/);
  });
});
