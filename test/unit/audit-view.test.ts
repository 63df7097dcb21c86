// How `cli audit` finds a person's or a project's workflows and prints them: the visibility
// queries, a form request followed from the onboarding whose PIN it holds, one unreadable history
// said as such without hiding the others, and the table. The Temporal client is a stand-in that
// answers with recorded histories (test/replay/); the real one: test/integration/audit.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import { encodeToPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { auditOf, auditQueries, formatTimeline } from '../../cli/audit-view';
import { dataConverterFor } from '../../lib/payload-encryption';
import { FIXTURE_CODEC_KEY } from '../replay/fixture-key';
import { historyFromFixtureJSON, type History } from '../replay/history-json';

const LATEST = join(__dirname, '..', 'replay', 'v0.1.0-70-g401b365');
const converter = loadDataConverter(dataConverterFor(FIXTURE_CODEC_KEY));
const fixture = (name: string): History =>
  historyFromFixtureJSON(JSON.parse(readFileSync(join(LATEST, `${name}.json`), 'utf8')));

const REQUEST_ID = '87b445ec-8d35-457c-a2f0-66a97710d190';
const GONE_ID = '00000000-0000-4000-8000-000000000000';

/** A started-and-completed onboarding whose PIN came from a form request. */
async function onboarding(pinRequest: string, encodeWith = converter): Promise<History> {
  const EventType = temporal.api.enums.v1.EventType;
  const registration = { email: 'ada@example.org', project: 'engine', pinRequest };
  const payloads = await encodeToPayloads(encodeWith, { registration, reminders: {} });
  const mail = { template: 'welcome', to: 'ada@example.org', setpassToken: 'tok-never-shown' };
  return temporal.api.history.v1.History.fromObject({
    events: [
      {
        eventId: 1,
        eventTime: { seconds: 1796664225 },
        eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'onboardUser' },
          input: { payloads },
        },
      },
      {
        // A mail still retrying when the workflow was terminated.
        eventId: 2,
        eventTime: { seconds: 1796664230 },
        eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'sendMail' },
          input: { payloads: await encodeToPayloads(encodeWith, mail) },
        },
      },
      {
        eventId: 3,
        eventTime: { seconds: 1796664240 },
        eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        workflowExecutionTerminatedEventAttributes: { reason: 'test over' },
      },
    ],
  });
}

/** A client that lists runs by query and serves their histories; what it was asked. */
function standIn(byQuery: Record<string, string[]>, histories: Map<string, History>) {
  const asked = { queries: [] as string[], fetched: [] as string[] };
  const client = {
    workflow: {
      options: { loadedDataConverter: converter as LoadedDataConverter },
      list({ query }: { query: string }) {
        asked.queries.push(query);
        return (async function* () {
          for (const workflowId of byQuery[query] ?? [])
            yield { workflowId, runId: `run-of-${workflowId}`, startTime: new Date(0) };
        })();
      },
      getHandle: (workflowId: string) => ({
        async fetchHistory() {
          asked.fetched.push(workflowId);
          const history = histories.get(workflowId);
          if (history) return history;
          // What the server answers for a workflow past retention: gRPC NOT_FOUND.
          throw Object.assign(new Error('5 NOT_FOUND'), { code: 5, details: '', metadata: {} });
        },
      }),
    },
  };
  return { client: client as unknown as Client, asked };
}

describe('finding', () => {
  test('an address finds onboardings and quota changes by attribute, resets by id', () => {
    assert.deepEqual(auditQueries('Ada@Example.org'), [
      "OnboardingUser IN ('Ada@Example.org', 'ada@example.org')",
      "WorkflowId = 'reset:ada@example.org'",
    ]);
    assert.deepEqual(auditQueries("o'brien-lab"), ["OnboardingProject = 'o\\'brien-lab'"]);
  });

  test('every run once, the linked form request, an unreadable history said', async () => {
    const otherKey = loadDataConverter(dataConverterFor(randomBytes(32)));
    const histories = new Map<string, History>([
      ['onboard:ada', await onboarding(REQUEST_ID)],
      ['onboard:ada:gone', await onboarding(GONE_ID)],
      ['onboard:ada:old-key', await onboarding(REQUEST_ID, otherKey)],
      ['quota:engine|ada', fixture('updateQuota-completed')],
      ['reset:ada@example.org', fixture('resetPassword-password-set')],
      [`request:${REQUEST_ID}`, fixture('registrationRequest-recorded')],
    ]);
    const [byUser, byId] = auditQueries('Ada@Example.org') as [string, string];
    const { client, asked } = standIn(
      {
        // Both queries may list a run: it is read once.
        [byUser]: ['onboard:ada', 'onboard:ada:gone', 'onboard:ada:old-key', 'quota:engine|ada'],
        [byId]: ['reset:ada@example.org', 'onboard:ada'],
      },
      histories,
    );
    const { entries, workflows } = await auditOf(client, 'Ada@Example.org', 2);
    assert.deepEqual(asked.queries, [byUser, byId]);
    assert.deepEqual(
      [...asked.fetched].sort(),
      [...histories.keys(), `request:${GONE_ID}`].sort(),
      'each run and each linked request once; the request past retention tried once',
    );
    assert.equal(workflows, 6);
    const times = entries.map((e) => e.at);
    assert.deepEqual([...times].sort(), times, 'merged in time order');
    const of = (id: string) => entries.filter((e) => e.workflowId === id).map((e) => e.what);
    assert.deepEqual(of('onboard:ada'), [
      'onboarding started',
      'mail not sent',
      'onboarding terminated',
    ]);
    assert.ok(
      entries.some(
        (e) => e.detail === "'welcome' to ada@example.org: not finished when the workflow ended",
      ),
    );
    assert.ok(!JSON.stringify(entries).includes('tok-never-shown'));
    assert.equal(of(`request:${REQUEST_ID}`)[0], 'form request made');
    assert.deepEqual(of('onboard:ada:old-key'), ['history not readable']);
    assert.match(
      entries.find((e) => e.what === 'history not readable')!.detail,
      /unknown codec key/,
    );
    assert.ok(of('reset:ada@example.org').includes('password set'));
    assert.ok(of('quota:engine|ada').includes('quotas changed'));
  });
});

describe('printing', () => {
  test('the table: UTC to the second, aligned columns', () => {
    const table = formatTimeline([
      {
        at: '2026-12-07T17:23:48.160Z',
        workflowId: 'onboard:x',
        what: 'onboarding started',
        detail: 'd',
      },
    ]);
    assert.deepEqual(table.split('\n'), [
      'TIME (UTC)           WORKFLOW   WHAT                DETAIL',
      '2026-12-07 17:23:48  onboard:x  onboarding started  d',
    ]);
  });
});
