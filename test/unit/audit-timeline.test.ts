// `cli audit` over recorded histories (test/replay/): what each onboarding, reset, quota change
// and form request did, in order, from its events and its local activities' markers alike.
// That it prints no secret: audit-secrets.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { AuditEvent } from '../../cli/audit-events';
import {
  auditTimeline,
  mergeTimelines,
  timelineOf,
  type TimelineEntry,
} from '../../cli/audit-timeline';
import { dataConverterFor } from '../../lib/payload-encryption';
import { FIXTURE_CODEC_KEY } from '../replay/fixture-key';
import { historyFromFixtureJSON, type History } from '../replay/history-json';

const REPLAY = join(__dirname, '..', 'replay');
const LATEST = 'v0.1.0-70-g401b365';
const converter = loadDataConverter(dataConverterFor(FIXTURE_CODEC_KEY));

const historyOf = (file: string): History =>
  historyFromFixtureJSON(JSON.parse(readFileSync(join(REPLAY, file), 'utf8')));

const timeline = (file: string) => auditTimeline('wf', historyOf(file), converter);

/** What happened, entry by entry: the shape most tests compare. */
const said = (entries: TimelineEntry[]) => entries.map((e) => e.what);

describe('the timeline of one onboarding', () => {
  test('completed: started, project, user, role, both mails, password set, completed', async () => {
    const entries = await timeline(`${LATEST}/onboardUser-completed.json`);
    assert.deepEqual(said(entries), [
      'onboarding started',
      'address checked',
      'project made',
      'quotas applied',
      'user made',
      'role granted',
      'mail sent',
      'mail sent',
      'password set',
      'onboarding completed',
    ]);
    const email = 'replay-completed-ffa8f0e7@example.org';
    assert.match(entries[0]!.detail, new RegExp(`^${email} into Proj-replay-completed-ffa8f0e7;`));
    assert.match(entries[0]!.detail, /given by hand \(cli start\), no sheet row/);
    assert.equal(
      entries[2]!.detail,
      'Proj-replay-completed-ffa8f0e7 (id eed80164b18c421090eab1cfe0487215)',
    );
    assert.match(
      entries[4]!.detail,
      /\(id 4bec7e5656f449c8836462046136d4e1\), with a set-password link$/,
    );
    assert.equal(entries[5]!.detail, `member of Proj-replay-completed-ffa8f0e7: ${email}`);
    assert.deepEqual(
      entries.filter((e) => e.what === 'mail sent').map((e) => e.detail),
      [`'welcome' to ${email}`, `'set-password' to ${email}`],
    );
    assert.equal(entries[8]!.detail, email);
    // Times are in order, and a local activity's is when it finished (its marker's
    // complete_time), not when its workflow task ended seconds later.
    const times = entries.map((e) => e.at);
    assert.deepEqual([...times].sort(), times);
    assert.equal(entries[2]!.at, '2026-12-07T17:23:53.677Z');
    assert.equal(entries[9]!.at, '2026-12-07T17:24:01.165Z');
  });

  test('the same steps whether Keystone ran as activities (v0) or local activities', async () => {
    const local = said(await timeline(`${LATEST}/onboardUser-completed.json`));
    const remote = said(await timeline('v0-534c71a/onboardUser-completed.json'));
    // v0 checked no address and issued the link apart from making the user.
    assert.deepEqual(
      remote.filter((w) => w !== 'link issued'),
      local.filter((w) => w !== 'address checked'),
    );
  });

  test('cancelled by an Update: who and why, the link revoked, the end', async () => {
    const entries = await timeline(`${LATEST}/onboardUser-cancelled-by-update.json`);
    const tail = entries.slice(-3).map((e) => [e.what, e.detail]);
    assert.deepEqual(tail, [
      ['admin: cancel', 'by record-histories: replay fixture'],
      ['link revoked', 'it answers 404 now'],
      ['onboarding cancelled', 'by record-histories: replay fixture'],
    ]);
    const bySignal = await timeline(`${LATEST}/onboardUser-cancelled-by-signal.json`);
    assert.ok(bySignal.some((e) => e.detail === 'by record-histories (signal): replay fixture'));
  });

  test('a refused mail, the admins told, the retry, refused again, then the cancel', async () => {
    const entries = await timeline(`${LATEST}/onboardUser-mail-refused-retried.json`);
    const from = entries.findIndex((e) => e.what === 'mail not sent');
    const refused = "'welcome' to replay-d73808d6@refused.invalid: mail server refused";
    assert.deepEqual(
      entries.slice(from).map((e) => `${e.what}: ${e.detail.slice(0, refused.length)}`),
      [
        `mail not sent: ${refused}`,
        "mail sent: 'mail-refused' to admins",
        'admin: retry mail: by record-histories',
        `mail not sent: ${refused}`,
        "mail sent: 'mail-refused' to admins",
        'admin: cancel: by record-histories: the address is refused',
        'link revoked: it answers 404 now',
        'onboarding cancelled: by record-histories: the address is refused',
      ],
    );
  });

  test('failed: the step that failed and the reason', async () => {
    const entries = await timeline(`${LATEST}/onboardUser-failed-4xx.json`);
    assert.deepEqual(said(entries).slice(-2), ['project failed', 'onboarding failed']);
    assert.match(entries.at(-1)!.detail, /failed at ensuring-project: Keystone refused .*HTTP 400/);
  });

  test('abandoned, with the reminder before it; a renewed link', async () => {
    const abandoned = await timeline(`${LATEST}/onboardUser-abandoned.json`);
    assert.ok(abandoned.some((e) => e.detail.startsWith("'reminder' to ")));
    assert.deepEqual(
      [abandoned.at(-1)!.what, abandoned.at(-1)!.detail],
      ['onboarding abandoned', 'no password after 1 reminder'],
    );
    const renewed = said(await timeline(`${LATEST}/onboardUser-link-renewed.json`));
    assert.deepEqual(renewed.slice(-5, -2), ['mail sent', 'link issued', 'mail sent']);
  });
});

describe('the timeline of other workflows', () => {
  test('a temporary quota change: old → new, then reverted', async () => {
    const entries = await timeline(`${LATEST}/updateQuota-temporary-reverted.json`);
    const project = 'Proj-replay-quota-temporary-51ad6daa';
    const of = (what: string) => entries.find((e) => e.what === what)?.detail;
    assert.equal(of('quotas changed'), `${project}: cores 20 → 32`);
    assert.equal(of('quotas reverted'), `${project}: cores 32 → 20`);
    assert.match(of('quota change completed')!, /cores 20 → 32; reverted at 2026-12-07T17:24:06/);
  });

  test('resets: an admin approves by Update, rejects by signal; the password set', async () => {
    const approved = await timeline(`${LATEST}/resetPassword-approved.json`);
    assert.deepEqual(said(approved).slice(-5), [
      'admin: approve reset',
      'link issued',
      'mail sent',
      'password set',
      'reset ended',
    ]);
    assert.equal(approved.at(-1)!.detail, 'password set');
    const rejected = await timeline(`${LATEST}/resetPassword-rejected.json`);
    assert.ok(rejected.some((e) => e.detail === 'by record-histories (signal)'));
  });

  test('a form request: made, confirmed, written to the sheet', async () => {
    const entries = await timeline(`${LATEST}/registrationRequest-recorded.json`);
    assert.deepEqual(said(entries).slice(0, 2), ['form request made', 'request confirmed']);
    assert.match(entries.find((e) => e.what === 'sheet row written')!.detail, /Approved empty$/);
  });
});

describe('what no recording takes', () => {
  test('a sheet row with a form PIN and additional users, a mail still retrying', () => {
    const at = (s: number) => `2026-12-01T10:00:0${s}.000Z`;
    const step = (s: number, activity: string, result?: unknown) =>
      ({ kind: 'step', at: at(s), activity, outcome: 'done', result }) as const;
    const registration = {
      email: 'ada@example.org',
      project: 'engine',
      additionalUsers: ['bob@example.org', 'cy@example.org'],
      sheetKey: 'ada@example.org|2026-11-30T09:00:00Z',
      pinRequest: '1e092bb0-11f4-4926-89c7-d7216710ac87',
    };
    // Local activities: their markers carry no input, so the order names who a grant was for.
    const events: AuditEvent[] = [
      { kind: 'started', at: at(0), workflowType: 'onboardUser', input: { registration } },
      step(1, 'ensureProject', { id: 'p1', created: false, ours: false }),
      step(2, 'ensureUserWithLink', { id: 'u1', created: true, token: '«redacted»' }),
      step(3, 'grantMemberRole'),
      step(4, 'findExistingUser', 'u2'),
      step(5, 'grantMemberRole'),
      step(6, 'findExistingUser', 'u3'),
      step(7, 'grantMemberRole'),
      {
        kind: 'step',
        at: at(8),
        activity: 'sendMail',
        outcome: 'pending',
        input: { template: 'welcome', to: 'ada@example.org' },
      },
    ];
    const entries = timelineOf('onboard:x', { events, secrets: [] });
    assert.deepEqual(
      entries.map((e) => `${e.what}: ${e.detail}`),
      [
        'onboarding started: ada@example.org into engine; also bob@example.org, cy@example.org; ' +
          'sheet row ada@example.org|2026-11-30T09:00:00Z; ' +
          'PIN from form request 1e092bb0-11f4-4926-89c7-d7216710ac87',
        'project found: engine (id p1)',
        'user made: ada@example.org (id u1), with a set-password link',
        'role granted: member of engine: ada@example.org',
        'user found: bob@example.org (id u2)',
        'role granted: member of engine: bob@example.org',
        'user found: cy@example.org (id u3)',
        'role granted: member of engine: cy@example.org',
        "mail pending: 'welcome' to ada@example.org, not sent yet",
      ],
    );
  });
});

describe('merging', () => {
  test('timelines merge by time, each keeping its own order', () => {
    const e = (at: string, workflowId: string, what: string) => ({
      at,
      workflowId,
      what,
      detail: '',
    });
    const a = [e('2026-01-01T10:00:00Z', 'a', '1'), e('2026-01-01T10:05:00Z', 'a', '2')];
    // A local activity's clock may run a little behind the server's: b keeps its order.
    const b = [e('2026-01-01T10:02:00Z', 'b', '1'), e('2026-01-01T10:01:00Z', 'b', '2')];
    assert.deepEqual(
      mergeTimelines([a, b]).map((x) => `${x.workflowId}${x.what}`),
      ['a1', 'b1', 'b2', 'a2'],
    );
  });
});
