// How each exit of the other workflows is reached on the real local system (test/replay/exits.ts).
import { startQuotaChange } from '../../wiring/start-quota-change';
import { approveResetSignal, decideResetUpdate } from '../../shared/onboarding';
import { quotaWorkflowId } from '../../shared/quota-change';
import type { checkRequests, pollRegistrations, updateQuota } from '../../workflows';
import { uniqueName } from '../../test/support/services';
import type { Exit } from './context';
import {
  existingPerson,
  expectOutcome,
  expectReset,
  newLink,
  onboard,
  resetInput,
  setPassword,
  startReset,
  waitForResetStep,
} from './people';

/** The exits of resetPassword, updateQuota and the two schedule workflows. */
export const OTHER_EXITS: Exit[] = [
  {
    name: 'resetPassword-password-set',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset');
      const input = resetInput(email, 'auto', ctx.config.reset.denied_roles);
      const handle = await startReset(ctx, input);
      await setPassword(await newLink(email, /password link/), input.pin);
      return expectReset(handle, 'password-set');
    },
  },
  {
    name: 'resetPassword-no-such-account',
    async drive(ctx) {
      const email = `${uniqueName('replay-reset-nobody')}@example.org`;
      return expectReset(await startReset(ctx, resetInput(email, 'auto', [])), 'no-such-account');
    },
  },
  {
    name: 'updateQuota-completed',
    async drive(ctx) {
      // A project with the requester as its member: an existing user's onboarding makes one.
      const reg = await existingPerson(ctx, 'replay-quota');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const request = {
        email: reg.email,
        fullName: 'Replay Fixture',
        project: reg.project,
        changes: { cores: 24 },
      };
      await startQuotaChange(ctx.client, ctx.config, request, ctx.taskQueue);
      const handle = ctx.client.workflow.getHandle<typeof updateQuota>(quotaWorkflowId(request));
      ctx.say(`started ${handle.workflowId}`);
      const status = await handle.result();
      if (status.step !== 'completed') throw new Error(`the quota change ended ${status.step}`);
      return handle.fetchHistory();
    },
  },
  {
    name: 'resetPassword-approved',
    needs: 'updates',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset-approved');
      const input = resetInput(email, 'approve', []);
      const handle = await startReset(ctx, input);
      await waitForResetStep(handle, 'waiting-for-approval');
      await handle.executeUpdate(decideResetUpdate, {
        args: [{ approved: true, by: 'record-histories' }],
      });
      ctx.say('decide-reset update: approved');
      await setPassword(await newLink(email, /password link/), input.pin);
      return expectReset(handle, 'password-set');
    },
  },
  {
    name: 'resetPassword-rejected',
    async drive(ctx) {
      const { email } = await existingPerson(ctx, 'replay-reset-rejected');
      const handle = await startReset(ctx, resetInput(email, 'approve', []));
      await waitForResetStep(handle, 'waiting-for-approval');
      await handle.signal(approveResetSignal, { approved: false, by: 'record-histories' });
      ctx.say('approveReset signal: rejected');
      return expectReset(handle, 'rejected-by-admin');
    },
  },
  {
    name: 'resetPassword-denied-role',
    async drive(ctx) {
      // An existing user's onboarding grants the member role; here that role is the denied one.
      const reg = await existingPerson(ctx, 'replay-reset-denied');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const input = resetInput(reg.email, 'auto', [ctx.config.auth.member_role]);
      return expectReset(await startReset(ctx, input), 'refused');
    },
  },
  {
    name: 'updateQuota-temporary-reverted',
    async drive(ctx) {
      const reg = await existingPerson(ctx, 'replay-quota-temporary');
      await expectOutcome(await onboard(ctx, reg), 'completed');
      const endsAt = new Date(Date.now() + 8000);
      endsAt.setMilliseconds(0);
      const request = {
        email: reg.email,
        fullName: 'Replay Fixture',
        project: reg.project,
        changes: { cores: 32 },
        endsAt: endsAt.toISOString(),
      };
      await startQuotaChange(ctx.client, ctx.config, request, ctx.taskQueue);
      const handle = ctx.client.workflow.getHandle<typeof updateQuota>(quotaWorkflowId(request));
      ctx.say(`started ${handle.workflowId}, reverting at ${request.endsAt}`);
      const status = await handle.result();
      if (status.step !== 'completed' || !status.revertedAt)
        throw new Error(`the temporary change ended ${status.step}, reverted ${status.revertedAt}`);
      return handle.fetchHistory();
    },
  },
  {
    name: 'pollRegistrations-started',
    async drive(ctx) {
      try {
        const handle = await ctx.client.workflow.start<typeof pollRegistrations>(
          'pollRegistrations',
          { workflowId: uniqueName('replay-poll'), taskQueue: ctx.taskQueue },
        );
        const report = await handle.result();
        if (report.started !== 1 || report.newlyInvalid.length !== 1)
          throw new Error(`the poll reported ${JSON.stringify(report)}`);
        ctx.say('one onboarding started, one invalid row told to the admins');
        return await handle.fetchHistory();
      } finally {
        ctx.sheets.pollDone(undefined);
      }
    },
  },
  {
    name: 'checkRequests-notified',
    async drive(ctx) {
      await ctx.sheets.polled;
      const handle = await ctx.client.workflow.start<typeof checkRequests>('checkRequests', {
        workflowId: uniqueName('replay-check'),
        taskQueue: ctx.taskQueue,
        args: [{ startText: '1 second' }],
      });
      const result = await handle.result();
      if (result.tickets < 1 || result.waitingForApproval < 1)
        throw new Error(`the check reported ${JSON.stringify(result)}`);
      ctx.say(`${result.tickets} ticket(s), ${result.waitingForApproval} in the digest`);
      return handle.fetchHistory();
    },
  },
];
