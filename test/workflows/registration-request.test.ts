// Every exit of registrationRequest with mocked activities on the time-skipping test server: a
// day of waiting for a confirmation in seconds.
//   node --import tsx --test test/workflows/registration-request.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { FailureType } from '../../shared/failures';
import {
  confirmRequestUpdate,
  formRequestWorkflowId,
  pinCellOfRequest,
  requestStatusQuery,
  type RegistrationRequestInput,
} from '../../shared/form-request-contract';
import type { FormRequest } from '../../shared/request-kinds';
import { quotaValues, registerValues } from '../../intake/form-rules';
import { registrationRequest } from '../../workflows';
import {
  DAY,
  MINUTE,
  queryUntil,
  recorded,
  describeWorkflows,
  workflowFailure,
  type Activities,
  type Recorded,
} from './support';

// The form's own normalisers give every column, '' where nothing was typed.
const ACCOUNT: FormRequest = {
  kind: 'access',
  values: registerValues({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.org',
    organisation: 'Analytical',
    role: 'Researcher',
    existingAccount: 'No',
    newOrExisting: 'new',
    newProjectName: 'engine',
    projectDescription: 'simulations',
  }),
};

const QUOTA: FormRequest = {
  kind: 'quota',
  values: quotaValues({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.org',
    project: 'engine',
    duration: 'Permanent',
    cores: '40',
    comments: 'a bigger run',
  }),
};

describeWorkflows('registrationRequest (mocked activities)', (wf) => {
  const input = (request: FormRequest, fields: Partial<RegistrationRequestInput> = {}) => {
    const requestId = crypto.randomUUID();
    return {
      requestId,
      request,
      confirmToken: `${requestId}.secret`,
      confirmTokenHash: 'right-hash',
      confirmWithinMs: DAY,
      mailApprovers: false,
      ...fields,
    } satisfies RegistrationRequestInput;
  };

  const mocks = (overrides: Partial<Activities> = {}): Recorded =>
    recorded({
      sendMail: async ({ messageKey }) => ({ messageId: `<${messageKey}>` }),
      keepRequestPin: async () => undefined,
      recordFormRequest: async ({ at }) => ({ key: `ada@example.org|${at}` }),
      isProjectMember: async () => true,
      findUser: async ({ name }) =>
        name === 'known@example.org'
          ? { id: 'u-known', name, email: name, fullName: 'Known Person' }
          : null,
      ...overrides,
    });

  const start = (taskQueue: string, args: RegistrationRequestInput) =>
    wf.env.client.workflow.start(registrationRequest, {
      taskQueue,
      workflowId: formRequestWorkflowId(args.requestId),
      args: [args],
    });

  const waiting = (handle: WorkflowHandle) =>
    queryUntil(
      handle,
      requestStatusQuery,
      (s) => s.step === 'waiting-for-confirmation',
      'the request (waiting)',
    );

  const confirm = (handle: WorkflowHandle, tokenHash: string) =>
    handle.executeUpdate(confirmRequestUpdate, { args: [{ tokenHash }] });

  const refused = (reason: RegExp) => (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `not an update failure: ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.match(err.cause.message, reason);
    return true;
  };

  test('confirmed: the PIN hash to setpass, the row written, once; a second link refused', async () => {
    const rec = mocks();
    const args = input(ACCOUNT, { pinHash: 'hmac-of-pin', mailApprovers: true });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await waiting(handle);
      await assert.rejects(confirm(handle, 'wrong-hash'), refused(/not the link of this request/));
      assert.deepEqual(rec.names(), ['sendMail']);
      await confirm(handle, 'right-hash');
      await assert.rejects(confirm(handle, 'right-hash'), refused(/already confirmed/));
      assert.equal(await handle.result(), 'recorded');
    });
    assert.deepEqual(rec.names(), ['sendMail', 'keepRequestPin', 'recordFormRequest', 'sendMail']);
    const [ask, approvers] = rec.inputs('sendMail');
    assert.equal(ask?.template, 'confirm-registration');
    assert.equal(ask?.to, 'ada@example.org');
    assert.equal(ask?.confirmToken, args.confirmToken);
    assert.equal(approvers?.audience, 'approvers');
    assert.equal(approvers?.template, 'new-request');
    assert.deepEqual(rec.inputs('keepRequestPin'), [
      { requestId: args.requestId, pinHash: 'hmac-of-pin' },
    ]);
    const [row] = rec.inputs('recordFormRequest');
    assert.equal(row?.requestId, args.requestId);
    assert.deepEqual(row?.request, ACCOUNT);
    assert.ok(!JSON.stringify(row).includes('hmac-of-pin'), 'the row carries no PIN hash');
  });

  test('additional users without an account leave the row, named in its comment', async () => {
    const rec = mocks();
    const request: FormRequest = {
      kind: 'access',
      values: {
        ...(ACCOUNT.values as Extract<FormRequest, { kind: 'access' }>['values']),
        additionalUsers: 'Known@example.org, nobody@example.org',
        comment: 'hello',
      },
    };
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(request));
      await waiting(handle);
      assert.deepEqual(rec.inputs('findUser'), [], 'nothing looked up before confirmation');
      await confirm(handle, 'right-hash');
      assert.equal(await handle.result(), 'recorded');
    });
    assert.deepEqual(
      rec.inputs('findUser').map((i) => i.name),
      ['known@example.org', 'nobody@example.org'],
    );
    const row = rec.inputs('recordFormRequest')[0]!.request;
    assert.equal(row.kind, 'access');
    if (row.kind !== 'access') return;
    assert.equal(row.values.additionalUsers, 'known@example.org');
    assert.equal(row.values.comment, 'hello (Not added, no account: nobody@example.org)');
  });

  test('not confirmed within the day: ends, nothing written', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(ACCOUNT, { pinHash: 'hmac-of-pin' }));
      assert.equal(await handle.result(), 'expired');
      const { startTime, closeTime } = await handle.describe();
      const waited = closeTime!.getTime() - startTime.getTime();
      assert.ok(Math.abs(waited - DAY) < MINUTE, `ended ${waited} ms after the start`);
      // Ended: a confirmation now finds no running request.
      await assert.rejects(confirm(handle, 'right-hash'));
    });
    assert.deepEqual(rec.names(), ['sendMail']);
  });

  test('quota, a member: written to the quota sheet, no approvers mail unless asked', async () => {
    const rec = mocks();
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(QUOTA));
      await waiting(handle);
      await confirm(handle, 'right-hash');
      assert.equal(await handle.result(), 'recorded');
    });
    assert.deepEqual(rec.names(), ['sendMail', 'isProjectMember', 'recordFormRequest']);
    assert.equal(rec.inputs('sendMail')[0]?.template, 'confirm-quota-request');
    assert.deepEqual(rec.inputs('isProjectMember'), [
      { email: 'ada@example.org', project: 'engine' },
    ]);
  });

  test('quota, not a member: refused after confirmation, the reason mailed, nothing written', async () => {
    const rec = mocks({ isProjectMember: async () => false });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(QUOTA));
      await waiting(handle);
      // The confirmation's answer says nothing of the refusal: the page must not either.
      const answer = await confirm(handle, 'right-hash');
      assert.notEqual(answer.outcome, 'refused');
      assert.equal(await handle.result(), 'refused');
    });
    assert.deepEqual(rec.names(), ['sendMail', 'isProjectMember', 'sendMail']);
    const refusal = rec.inputs('sendMail')[1]!;
    assert.equal(refusal.template, 'quota-request-refused');
    assert.equal(refusal.to, 'ada@example.org');
    assert.match(refusal.reason ?? '', /not a member of a project named "engine"/);
  });
  // After "confirmed, it goes to the approvers" nothing may fail unheard: the requester
  // was told it goes to the approvers, and nobody else knows of it.
  const PIN_HASH = 'a3'.repeat(32);
  const SECRET = 'Zq7'.repeat(12);

  /** A confirmed account request whose `activity` fails for good; the workflow's failure. */
  async function failedAfterConfirmation(overrides: Partial<Activities>) {
    const rec = mocks(overrides);
    const args = input(ACCOUNT, { pinHash: PIN_HASH, mailApprovers: true });
    args.confirmToken = `${args.requestId}.${SECRET}`;
    const failed = await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await waiting(handle);
      await confirm(handle, 'right-hash');
      const err = await workflowFailure(handle, 'the request');
      const status = await handle.query(requestStatusQuery);
      const { currentDetails } = await handle.query<{ currentDetails: string }>(
        '__temporal_workflow_metadata',
      );
      return { err, status, currentDetails };
    });
    const adminMails = rec.inputs('sendMail').filter((m) => m.audience === 'admins');
    assert.equal(adminMails.length, 1, 'one mail to the admins');
    const mail = adminMails[0]!;
    assert.equal(mail.template, 'form-request-failed');
    assert.equal(mail.username, 'ada@example.org');
    assert.equal(mail.project, 'engine');
    for (const secret of [PIN_HASH, SECRET, args.confirmToken, args.confirmTokenHash]) {
      assert.ok(!JSON.stringify(mail).includes(secret), `no ${secret} in the admins' mail`);
    }
    // The workflow fails with a stable type, the activity's failure as its cause.
    const { cause } = failed.err;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(cause.type, FailureType.formRequestFailed);
    assert.ok(cause.cause instanceof ActivityFailure, String(cause.cause));
    return { rec, args, mail, cause, ...failed };
  }

  test('the sheet refuses the confirmed row for good: the admins get the reason and the row', async () => {
    const refusal =
      'Google Sheets: cannot append to spreadsheet s1, tab "Form Responses 1": access denied';
    const { rec, args, mail, cause, status, currentDetails } = await failedAfterConfirmation({
      recordFormRequest: async () => {
        throw ApplicationFailure.nonRetryable(refusal, FailureType.sheetRejected);
      },
    });
    assert.deepEqual(rec.names(), ['sendMail', 'keepRequestPin', 'recordFormRequest', 'sendMail']);
    assert.match(mail.reason ?? '', /writing the row to the request sheet: .*access denied/);
    const details = mail.values?.REQUEST_DETAILS ?? '';
    assert.match(details, /add the row below to the request sheet by hand, Approved empty/);
    assert.match(details, /^ {2}First name: Ada$/m);
    assert.match(details, /^ {2}Email: ada@example\.org$/m);
    assert.match(details, /^ {2}New project name: engine$/m);
    assert.match(details, /^ {2}Project description: simulations$/m);
    // The cell the row would have had: it names the request, whose PIN hash setpass holds.
    assert.ok(details.includes(`  PIN: ${pinCellOfRequest(args.requestId)}`), details);
    assert.equal(mail.values?.REQUEST_TYPE, 'a request for an account');
    assert.match(cause.message, /writing the row to the request sheet: .*access denied/);
    assert.equal(status.step, 'failed');
    assert.match(status.failure ?? '', /access denied \(the admins were mailed\)$/);
    assert.match(currentDetails, /\*\*Failed\*\* while writing the row .*access denied/);
  });

  test('setpass refuses the PIN hash (4xx): the admins are told to ask for the form again', async () => {
    const { rec, mail, cause, status } = await failedAfterConfirmation({
      keepRequestPin: async ({ requestId, pinHash }) => {
        // An answer that echoes what it was sent must not carry the hash into the mail.
        throw ApplicationFailure.create({
          message: `setpass refused PUT /request-pin/${requestId}: HTTP 400 pin_hash ${pinHash} is not valid`,
          type: FailureType.rejected,
          nonRetryable: true,
        });
      },
    });
    assert.deepEqual(rec.names(), ['sendMail', 'keepRequestPin', 'sendMail']);
    assert.match(
      mail.reason ?? '',
      /handing the PIN's hash to setpass: .*HTTP 400 pin_hash «redacted»/,
    );
    const details = mail.values?.REQUEST_DETAILS ?? '';
    assert.match(details, /setpass does not hold the PIN.*ask them to send the form again/);
    assert.match(details, /^ {2}PIN: \(not kept: the person must send the form again\)$/m);
    assert.match(cause.message, /HTTP 400/);
    assert.ok(!cause.message.includes(PIN_HASH), 'no hash in the failure');
    assert.equal(status.step, 'failed');
  });

  test('a transient sheet failure is retried, not reported', async () => {
    let attempts = 0;
    const rec = mocks({
      recordFormRequest: async ({ at }) => {
        if (++attempts < 3) throw new Error('Google Sheets (HTTP 503, retryable)');
        return { key: `ada@example.org|${at}` };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(ACCOUNT, { pinHash: PIN_HASH }));
      await waiting(handle);
      await confirm(handle, 'right-hash');
      assert.equal(await handle.result(), 'recorded');
    });
    assert.equal(attempts, 3);
    assert.ok(!rec.inputs('sendMail').some((m) => m.audience === 'admins'), 'no admin mail');
  });

  test("the admins' address refused too: the workflow still fails with the reason", async () => {
    const rec = mocks({
      isProjectMember: async () => {
        throw ApplicationFailure.nonRetryable(
          'keystone refused GET /users: HTTP 403',
          'RequestRejected',
        );
      },
      sendMail: async ({ audience, messageKey }) => {
        if (audience === 'admins') {
          throw ApplicationFailure.nonRetryable(
            'mail server refused admins@example.org (SMTP 550)',
            FailureType.recipientRefused,
          );
        }
        return { messageId: `<${messageKey}>` };
      },
    });
    await wf.withWorker(rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input(QUOTA));
      await waiting(handle);
      await confirm(handle, 'right-hash');
      const { cause } = await workflowFailure(handle, 'the request');
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FailureType.formRequestFailed);
      assert.match(cause.message, /checking the project membership: .*HTTP 403/);
      const status = await handle.query(requestStatusQuery);
      assert.match(status.failure ?? '', /the admins could not be mailed: .*SMTP 550/);
    });
    assert.deepEqual(rec.names(), ['sendMail', 'isProjectMember', 'sendMail']);
  });
});
