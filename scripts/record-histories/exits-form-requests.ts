// How each exit of registrationRequest is reached on the real local system: the workflow is
// started as the API starts it (a real token and its hash; a PIN hash of the right shape), and
// confirmed with the Update the API sends.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import {
  confirmRequestUpdate,
  formRequestWorkflowId,
  type RegistrationRequestInput,
  type RegistrationRequestOutcome,
} from '../../shared/form-request-contract';
import type { FormRequest } from '../../shared/request-kinds';
import { quotaValues, registerValues } from '../../intake/form-rules';
import type { registrationRequest } from '../../workflows';
import { uniqueName } from '../../test/support/services';
import type { Context, Exit, History } from './context';
import { existingPerson, expectOutcome, onboard } from './people';

/** An account request; `additionalUsers` are looked up once it is confirmed. */
function accountRequest(email: string, additionalUsers = ''): FormRequest {
  return {
    kind: 'access',
    values: registerValues({
      firstName: 'Replay',
      lastName: 'Fixture',
      email,
      organisation: 'Replay Lab',
      role: 'Researcher',
      existingAccount: 'No',
      newOrExisting: 'new',
      newProjectName: uniqueName('replay-form'),
      projectDescription: 'recorded for the replay suite',
      additionalUsers,
    }),
  };
}

function quotaRequest(email: string, project: string): FormRequest {
  return {
    kind: 'quota',
    values: quotaValues({
      firstName: 'Replay',
      lastName: 'Fixture',
      email,
      project,
      duration: 'Permanent',
      cores: '24',
      comments: 'recorded for the replay suite',
    }),
  };
}

async function run(
  ctx: Context,
  request: FormRequest,
  {
    confirm,
    confirmWithinMs = 3_600_000,
    pinHash = randomBytes(32).toString('hex'),
  }: { confirm: boolean; confirmWithinMs?: number; pinHash?: string },
  expected: RegistrationRequestOutcome | 'failed',
): Promise<History> {
  const requestId = randomUUID();
  const confirmToken = `${requestId}.${randomBytes(32).toString('base64url')}`;
  const confirmTokenHash = createHash('sha256').update(confirmToken).digest('hex');
  const input: RegistrationRequestInput = {
    requestId,
    request,
    confirmToken,
    confirmTokenHash,
    confirmWithinMs,
    mailApprovers: true,
    ...(request.kind === 'access' ? { pinHash } : {}),
  };
  const handle = await ctx.client.workflow.start<typeof registrationRequest>(
    'registrationRequest',
    {
      workflowId: formRequestWorkflowId(requestId),
      taskQueue: ctx.taskQueue,
      args: [input],
    },
  );
  ctx.say(`started ${handle.workflowId}`);
  if (confirm) {
    await handle.executeUpdate(confirmRequestUpdate, { args: [{ tokenHash: confirmTokenHash }] });
    ctx.say('confirm-request update: confirmed');
  }
  const outcome = await handle.result().catch((err: unknown) => {
    if (!(err instanceof WorkflowFailedError)) throw err;
    ctx.say(`failed: ${err.cause?.message ?? ''}`);
    return 'failed' as const;
  });
  if (outcome !== expected) throw new Error(`the request ended ${outcome}, not ${expected}`);
  return handle.fetchHistory();
}

/** The exits of registrationRequest. */
export const FORM_REQUEST_EXITS: Exit[] = [
  {
    name: 'registrationRequest-recorded',
    async drive(ctx) {
      const email = `${uniqueName('replay-register')}@example.org`;
      // One additional user with an account, one without: both looked up, one set aside.
      const colleague = await existingPerson(ctx, 'replay-form-colleague');
      const nobody = `${uniqueName('replay-nobody')}@example.org`;
      const request = accountRequest(email, `${colleague.email}, ${nobody}`);
      return run(ctx, request, { confirm: true }, 'recorded');
    },
  },
  {
    name: 'registrationRequest-quota-recorded',
    async drive(ctx) {
      // A project with the requester as its member: an existing user's onboarding makes one.
      const reg = await existingPerson(ctx, 'replay-form-quota');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      return run(ctx, quotaRequest(reg.email, reg.project), { confirm: true }, 'recorded');
    },
  },
  {
    name: 'registrationRequest-refused',
    async drive(ctx) {
      const email = `${uniqueName('replay-stranger')}@example.org`;
      const request = quotaRequest(email, uniqueName('replay-no-such-project'));
      return run(ctx, request, { confirm: true }, 'refused');
    },
  },
  {
    name: 'registrationRequest-expired',
    async drive(ctx) {
      const email = `${uniqueName('replay-unconfirmed')}@example.org`;
      return run(ctx, accountRequest(email), { confirm: false, confirmWithinMs: 3000 }, 'expired');
    },
  },
  {
    name: 'registrationRequest-failed',
    async drive(ctx) {
      // Setpass refuses a hash of the wrong shape with a 400 after the confirmation: the admins
      // are mailed and the request fails (before patch form-request-failure-mailed: fails bare).
      const email = `${uniqueName('replay-refused-pin')}@example.org`;
      return run(
        ctx,
        accountRequest(email),
        { confirm: true, pinHash: 'not-a-pin-hash' },
        'failed',
      );
    },
  },
];
