// updateQuota with mocked activities on the time-skipping test server: a permanent change, a
// temporary one reverted at its end date (days in seconds), and a refusal rolled back.
//   node --import tsx --test test/workflows/update-quota.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure } from '@temporalio/client';
import { FailureType } from '../../shared/failures';
import { searchAttributes } from '../../shared/onboarding';
import {
  quotaStatusQuery,
  type QuotaChangeRequest,
  type UpdateQuotaInput,
} from '../../shared/quota-change';
import { updateQuota } from '../../workflows';
import {
  DAY,
  MINUTE,
  queryUntil,
  recorded,
  unique,
  describeWorkflows,
  workflowFailure,
  type Activities,
  type Recorded,
} from './support';

const PROJECT_ID = 'qp-1';
const MEMBERS = ['ada@example.org', 'grace@example.org'];

describeWorkflows('updateQuota (mocked activities)', (wf) => {
  const request = (fields: Partial<QuotaChangeRequest> = {}): QuotaChangeRequest => ({
    email: 'ada@example.org',
    fullName: 'Ada Lovelace',
    project: unique('Proj'),
    changes: { cores: 40 },
    ...fields,
  });

  /** A project whose quotas are `current`; setQuotas takes whatever it is given. */
  const mocks = (current: Record<string, number>, overrides: Partial<Activities> = {}): Recorded =>
    recorded({
      findProject: async () => PROJECT_ID,
      readQuotas: async ({ keys }) =>
        Object.fromEntries(keys.map((k) => [k, current[k] ?? assert.fail(`${k} read`)])),
      setQuotas: async () => undefined,
      projectMembers: async () => MEMBERS,
      sendMail: async ({ messageKey }) => ({ messageId: `<${messageKey}>` }),
      markQuotaRequest: async () => undefined,
      moveToProcessedRequests: async () => undefined,
      ...overrides,
    });

  const start = (taskQueue: string, args: UpdateQuotaInput) =>
    wf.env.client.workflow.start(updateQuota, {
      taskQueue,
      workflowId: unique('quota'),
      args: [args],
    });

  const setValues = (rec: Recorded) => rec.inputs('setQuotas').map((i) => i.values);

  test('permanent change: read, applied (ports grow with instances), mailed, row moved', async () => {
    const req = request({ changes: { instances: 20, ram: 65536 }, sheetKey: unique('row') });
    const rec = mocks({ instances: 10, ram: 32768, network: 2, port: 50 });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { request: req, revertNoticeMs: DAY });
      const status = await handle.result();
      assert.equal(status.step, 'completed');
      assert.equal(status.projectId, PROJECT_ID);
      assert.equal(status.revertedAt, undefined);
      // The original tools' port rule: no port asked, instances grow: + 0 new networks × 20 + 5.
      assert.deepEqual(status.changes, [
        { key: 'instances', old: 10, new: 20 },
        { key: 'ram', old: 32768, new: 65536 },
        { key: 'port', old: 50, new: 55 },
      ]);
      assert.deepEqual(await handle.query(quotaStatusQuery), status);
      const listed = (await handle.describe()).typedSearchAttributes.get(searchAttributes.step);
      assert.equal(listed, 'quota:completed');
    });
    assert.deepEqual(rec.names(), [
      'findProject',
      'readQuotas',
      'setQuotas',
      'projectMembers',
      'sendMail',
      'moveToProcessedRequests',
    ]);
    assert.deepEqual(rec.inputs('findProject'), [{ name: req.project }]);
    assert.deepEqual(rec.inputs('readQuotas'), [
      { projectId: PROJECT_ID, keys: ['instances', 'ram', 'network', 'port'] },
    ]);
    assert.deepEqual(setValues(rec), [{ instances: 20, ram: 65536, port: 55 }]);
    const [mail] = rec.inputs('sendMail');
    assert.equal(mail?.template, 'quota-change');
    assert.equal(mail?.to, req.email);
    assert.deepEqual(mail?.cc, MEMBERS);
    assert.equal(mail?.endDate, 'no end date (a permanent change)');
    assert.equal(
      mail?.quotaList,
      ['  instances     10 -> 20', '  ram (MB)   32768 -> 65536', '  port          50 -> 55'].join(
        '\n',
      ),
    );
    assert.deepEqual(rec.inputs('moveToProcessedRequests'), [{ key: req.sheetKey }]);
  });

  test('temporary change: the members told before the end date, reverted at it', async () => {
    const nowMs = await wf.env.currentTimeMs();
    const endsAtMs = Math.ceil((nowMs + 10 * DAY) / MINUTE) * MINUTE; // a whole minute
    const endsAt = new Date(endsAtMs).toISOString();
    const req = request({ changes: { cores: 40 }, endsAt });
    const rec = mocks({ cores: 20 });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { request: req, revertNoticeMs: 2 * DAY });
      const waiting = await queryUntil(
        handle,
        quotaStatusQuery,
        (s) => s.step === 'waiting-to-revert',
        'the change',
      );
      assert.equal(waiting.endsAt, endsAt);
      const status = await handle.result();
      assert.equal(status.step, 'completed');
      assert.ok(status.revertedAt, 'no revertedAt');
      assert.ok(Date.parse(status.revertedAt) >= endsAtMs, 'reverted before the end date');
    });
    assert.deepEqual(setValues(rec), [{ cores: 40 }, { cores: 20 }]);
    assert.deepEqual(
      rec.inputs('sendMail').map((m) => m.template),
      ['quota-change', 'quota-revert-notice', 'quota-reverted'],
    );
    const endDate = `${endsAt.slice(0, 10)} ${endsAt.slice(11, 16)} UTC`;
    for (const mail of rec.inputs('sendMail')) {
      assert.equal(mail.endDate, endDate);
      assert.deepEqual(mail.cc, MEMBERS);
    }
    assert.equal(rec.inputs('sendMail')[1]?.quotaList, '  cores  40 -> 20');
    const at = (name: string, n: number) => rec.calls.filter((c) => c.name === name)[n]!.atMs;
    const near = (atMs: number, wantMs: number, what: string) =>
      assert.ok(Math.abs(atMs - wantMs) < MINUTE, `${what} ${(atMs - wantMs) / 1000} s off`);
    near(at('sendMail', 1), endsAtMs - 2 * DAY, 'the notice');
    near(at('setQuotas', 1), endsAtMs, 'the revert');
    // No sheet row: nothing moved.
    assert.equal(rec.inputs('moveToProcessedRequests').length, 0);
  });

  test('a service refusing its part: the others put back, the request failed, the row marked', async () => {
    const req = request({ changes: { cores: 40, port: 500 }, sheetKey: unique('row') });
    const message = 'neutron answered 400: Quota limit 500 for port is too high';
    // Nova (cores) takes its part, Neutron refuses the new port quota; the old one it takes.
    const rec = mocks(
      { cores: 20, port: 100 },
      {
        setQuotas: async ({ values }) => {
          if (values.port === 500)
            throw ApplicationFailure.create({
              message,
              type: FailureType.rejected,
              nonRetryable: true,
              details: [{ service: 'neutron', status: 400 }],
            });
        },
      },
    );
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { request: req, revertNoticeMs: DAY });
      // WorkflowFailedError → QuotaRequestFailed → ActivityFailure (setQuotas) → the 4xx.
      const err = await workflowFailure(handle, 'the change');
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'QuotaRequestFailed');
      assert.equal(
        err.cause.message,
        `quota request of ${req.email} for ${req.project} failed: ${message}`,
      );
      assert.ok(err.cause.cause instanceof ActivityFailure);
      assert.equal(err.cause.cause.activityType, 'setQuotas');
      assert.ok(err.cause.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.cause.type, 'RequestRejected');
      const status = await handle.query(quotaStatusQuery);
      assert.equal(status.step, 'failed');
      assert.deepEqual(status.changes, [
        { key: 'cores', old: 20, new: 40 },
        { key: 'port', old: 100, new: 500 },
      ]);
    });
    // Forward, refused; then every planned key back to its old value.
    assert.deepEqual(setValues(rec), [
      { cores: 40, port: 500 },
      { cores: 20, port: 100 },
    ]);
    assert.deepEqual(rec.names(), [
      'findProject',
      'readQuotas',
      'setQuotas',
      'setQuotas',
      'markQuotaRequest',
      'sendMail',
    ]);
    assert.deepEqual(rec.inputs('markQuotaRequest'), [
      { key: req.sheetKey, status: `failed: ${message}` },
    ]);
    const [mail] = rec.inputs('sendMail');
    assert.equal(mail?.audience, 'admins');
    assert.equal(mail?.template, 'quota-request-failed');
    assert.equal(mail?.reason, message);
  });

  test('the rollback refused too: the original refusal first, the rollback failure beside it', async () => {
    const req = request({ changes: { cores: 40, port: 500 }, sheetKey: unique('row') });
    const refused = 'neutron answered 400: Quota limit 500 for port is too high';
    const rollback = 'nova answered 403: Policy does not allow os_compute_api:os-quota-sets:update';
    const rejected = (message: string) =>
      ApplicationFailure.create({ message, type: FailureType.rejected, nonRetryable: true });
    // Neutron refuses the new port quota; then Nova refuses to put the cores back.
    const rec = mocks(
      { cores: 20, port: 100 },
      {
        setQuotas: async ({ values }) => {
          throw rejected(values.port === 500 ? refused : rollback);
        },
      },
    );
    const reason = `${refused}; rolling back also failed: ${rollback}`;
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { request: req, revertNoticeMs: DAY });
      const err = await workflowFailure(handle, 'the change');
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'QuotaRequestFailed');
      assert.equal(
        err.cause.message,
        `quota request of ${req.email} for ${req.project} failed: ${reason}`,
      );
      // The chain leads to the original refusal, not to the rollback's.
      assert.ok(err.cause.cause instanceof ActivityFailure);
      assert.ok(err.cause.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.cause.message, refused);
    });
    assert.deepEqual(setValues(rec), [
      { cores: 40, port: 500 },
      { cores: 20, port: 100 },
    ]);
    assert.deepEqual(rec.inputs('markQuotaRequest'), [
      { key: req.sheetKey, status: `failed: ${reason}` },
    ]);
    assert.equal(rec.inputs('sendMail')[0]?.reason, reason);
  });
});
