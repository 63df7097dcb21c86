// How each exit of onboardUser is reached on the real local system (test/replay/exits.ts).
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  cancelOnboardingSignal,
  cancelOnboardingUpdate,
  onboardingWorkflowId,
  resendLinkSignal,
  resendLinkUpdate,
  retryMailUpdate,
  type OnboardUserInput,
  type Registration,
} from '../../shared/onboarding';
import type { onboardUser } from '../../workflows';
import { reminderPolicy } from '../../wiring/start-onboarding';
import { createKeystoneUser, eventually, uniqueName } from '../../test/support/services';
import type { Context, Exit } from './context';
import { EventType } from './context';
import {
  existingPerson,
  expectOutcome,
  newLink,
  onboard,
  onboardLegacy,
  person,
  setPassword,
  waitForStep,
} from './people';

/** An onboarding started with an admin's signal already waiting: it is the first thing it sees. */
async function onboardWithSignal(
  ctx: Context,
  registration: Registration,
  signal: typeof cancelOnboardingSignal | typeof resendLinkSignal,
  args: [{ by: string; reason: string }] | [{ by: string }],
) {
  const input: OnboardUserInput = { registration, reminders: reminderPolicy(ctx.config) };
  const handle = await ctx.client.workflow.signalWithStart<typeof onboardUser, typeof args>(
    'onboardUser',
    {
      workflowId: onboardingWorkflowId(registration),
      taskQueue: ctx.taskQueue,
      args: [input],
      signal,
      signalArgs: args,
    },
  );
  ctx.say(`started ${handle.workflowId} with ${signal.name} pending`);
  return handle;
}

/** The history of an onboarding that must fail (and says why it did). */
async function expectFailure(ctx: Context, handle: WorkflowHandle<typeof onboardUser>) {
  const failed = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(failed instanceof WorkflowFailedError))
    throw new Error(`${handle.workflowId} did not fail: ${String(failed)}`);
  ctx.say(`failed as it should: ${failed.cause?.message ?? ''}`);
  return handle.fetchHistory();
}

/** The exits of onboardUser, each driven on the real local system. */
export const ONBOARD_USER_EXITS: Exit[] = [
  {
    name: 'onboardUser-completed',
    async drive(ctx) {
      const reg = person('replay-completed');
      const handle = await onboard(ctx, reg);
      await setPassword(await newLink(reg.email, /^Choose your/), reg.pin);
      ctx.say('password set from the mailed link');
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-waiting',
    async drive(ctx) {
      const reg = person('replay-waiting');
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'waiting-for-password');
      // As production holds it: the last workflow task done, the wait's timer running.
      const history = await eventually('the history to end on the timer of the wait', async () => {
        const h = await handle.fetchHistory();
        return h.events?.at(-1)?.eventType === EventType.EVENT_TYPE_TIMER_STARTED ? h : undefined;
      });
      await handle.terminate('replay fixture recorded while waiting');
      ctx.say('history taken while waiting, then terminated');
      return history;
    },
  },
  {
    name: 'onboardUser-link-renewed',
    async drive(ctx) {
      const reg = person('replay-renewed');
      const handle = await onboard(ctx, reg, {
        afterMs: [4000],
        abandonAfterMs: 60_000,
        linkLifetimeMs: 2000,
      });
      const first = await newLink(reg.email, /^Choose your/);
      const renewed = await newLink(reg.email, /a new link/, [first]);
      ctx.say('the reminder after the link expired carried a new link');
      await setPassword(renewed, reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-abandoned',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-abandoned'), {
        afterMs: [1000],
        abandonAfterMs: 3000,
        linkLifetimeMs: 3_600_000,
      });
      return expectOutcome(handle, 'abandoned');
    },
  },
  {
    name: 'onboardUser-cancelled-by-signal',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-cancel-signal'));
      await waitForStep(handle, 'waiting-for-password');
      await handle.signal(cancelOnboardingSignal, {
        by: 'record-histories',
        reason: 'replay fixture',
      });
      ctx.say('cancel signal sent');
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-existing-user',
    async drive(ctx) {
      const handle = await onboard(ctx, await existingPerson(ctx, 'replay-existing'));
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-resent-by-update',
    needs: 'updates',
    async drive(ctx) {
      const reg = person('replay-resend-update');
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'waiting-for-password');
      const first = await newLink(reg.email, /^Choose your/);
      await handle.executeUpdate(resendLinkUpdate, { args: [{ by: 'record-histories' }] });
      const resent = await newLink(reg.email, /^Choose your/, [first]);
      ctx.say('resend-link update answered; password set from the new link');
      await setPassword(resent, reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-cancelled-by-update',
    needs: 'updates',
    async drive(ctx) {
      const handle = await onboard(ctx, person('replay-cancel-update'));
      await waitForStep(handle, 'waiting-for-password');
      await handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'record-histories', reason: 'replay fixture' }],
      });
      ctx.say('cancel-onboarding update answered');
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-mail-refused-retried',
    needs: 'updates',
    async drive(ctx) {
      // Mailpit refuses @refused.invalid for good: the onboarding waits for an admin.
      const reg = { ...person('replay-refused'), email: `${uniqueName('replay')}@refused.invalid` };
      const handle = await onboard(ctx, reg);
      await waitForStep(handle, 'mail-refused');
      const answer = await handle.executeUpdate(retryMailUpdate, {
        args: [{ by: 'record-histories' }],
      });
      if (answer.step !== 'mail-refused') throw new Error(`the retry left step ${answer.step}`);
      ctx.say('retry-mail update answered: refused again; cancelling');
      await handle.executeUpdate(cancelOnboardingUpdate, {
        args: [{ by: 'record-histories', reason: 'the address is refused' }],
      });
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-failed-4xx',
    async drive(ctx) {
      // Keystone refuses a project name over 64 characters with a 400: no retry helps.
      const reg = { ...person('replay-failed'), project: `Proj-${'x'.repeat(64)}` };
      return expectFailure(ctx, await onboard(ctx, reg));
    },
  },
  {
    name: 'onboardUser-foreign-account',
    async drive(ctx) {
      // A "new user" whose address has an account made elsewhere: refused, nothing made.
      const reg = person('replay-foreign');
      await createKeystoneUser(ctx.config, {
        name: reg.email,
        password: `Own-${uniqueName('pw')}`,
      });
      return expectFailure(ctx, await onboard(ctx, reg));
    },
  },
  {
    name: 'onboardUser-cancelled-before-steps',
    async drive(ctx) {
      const handle = await onboardWithSignal(
        ctx,
        person('replay-cancel-early'),
        cancelOnboardingSignal,
        [{ by: 'record-histories', reason: 'replay fixture' }],
      );
      return expectOutcome(handle, 'cancelled');
    },
  },
  {
    name: 'onboardUser-resend-pending',
    async drive(ctx) {
      // A resend signalled before the wait began: acted on when it begins.
      const reg = person('replay-resend-pending');
      const handle = await onboardWithSignal(ctx, reg, resendLinkSignal, [
        { by: 'record-histories' },
      ]);
      const first = await newLink(reg.email, /^Choose your/);
      const resent = await newLink(reg.email, /^Choose your/, [first]);
      await setPassword(resent, reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-legacy-completed',
    needs: 'legacy-input',
    async drive(ctx) {
      const reg = person('replay-legacy');
      const handle = await onboardLegacy(ctx, reg, { intervalMs: 86_400_000, maxReminders: 2 });
      await setPassword(await newLink(reg.email, /^Choose your/), reg.pin);
      return expectOutcome(handle, 'completed');
    },
  },
  {
    name: 'onboardUser-legacy-abandoned',
    needs: 'legacy-input',
    async drive(ctx) {
      const handle = await onboardLegacy(ctx, person('replay-legacy-abandoned'), {
        intervalMs: 1500,
        maxReminders: 1,
      });
      return expectOutcome(handle, 'abandoned');
    },
  },
];
