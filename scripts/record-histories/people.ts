// What a person (or an admin) does during a recording: register, open the mailed link, set a
// password, ask for a reset; and how a driver waits for a workflow's step or outcome.
import { randomInt, randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { startOnboarding } from '../../wiring/start-onboarding';
import {
  onboardingWorkflowId,
  resetStatusQuery,
  resetWorkflowId,
  statusQuery,
  type LegacyReminderPolicy,
  type OnboardingStep,
  type OnboardUserInput,
  type Registration,
  type ReminderPolicy,
  type ResetOutcome,
  type ResetPasswordInput,
  type ResetStatus,
} from '../../shared/onboarding';
import type { onboardUser, resetPassword } from '../../workflows';
import { formSession, postForm } from '../../test/support/forms';
import {
  createKeystoneUser,
  eventually,
  mailsTo,
  mailText,
  uniqueName,
} from '../../test/support/services';
import type { Context, History } from './context';
import { LINK, PATIENT } from './context';

export function person(prefix: string): Registration & { pin: string } {
  const id = uniqueName(prefix);
  return {
    email: `${id}@example.org`,
    firstName: 'Replay',
    lastName: 'Fixture',
    project: `Proj-${id}`,
    pin: String(randomInt(1000, 10000)),
  };
}

/** An existing Keystone account, and its registration for a new project (no PIN, no link). */
export async function existingPerson(ctx: Context, prefix: string): Promise<Registration> {
  const { email, firstName, lastName, project } = person(prefix);
  await createKeystoneUser(ctx.config, { name: email, password: `Replay-${randomUUID()}` });
  return { email, firstName, lastName, project, existingUser: true };
}

/** The links in the mails to `email` whose subject matches. */
export async function linksIn(email: string, subject: RegExp): Promise<string[]> {
  const mails = (await mailsTo(email)).filter((m) => subject.test(m.Subject));
  const links = await Promise.all(mails.map(async (m) => LINK.exec(await mailText(m.ID))?.[1]));
  return links.filter((l): l is string => l !== undefined);
}

/** A link mailed to `email` in a mail like `subject`, other than those in `except`. */
export function newLink(email: string, subject: RegExp, except: string[] = []): Promise<string> {
  return eventually(`a mail like ${subject} to ${email}`, async () =>
    (await linksIn(email, subject)).find((l) => !except.includes(l)),
  );
}

/** Opens the link and sets a password with the PIN, as the person would. */
export async function setPassword(link: string, pin: string): Promise<void> {
  const password = `Replay-${randomUUID()}`;
  const token = new URL(link).searchParams.get('token') ?? '';
  const answer = await postForm(
    new URL('./', link).toString(),
    { token, pin, password, confirm_password: password },
    await formSession(link),
  );
  if (answer.status !== 200)
    throw new Error(`setting the password at ${link} answered ${answer.status}: ${answer.text}`);
}

export async function waitForStep(
  handle: WorkflowHandle<typeof onboardUser>,
  step: OnboardingStep,
): Promise<void> {
  await eventually(`${handle.workflowId} to reach ${step}`, async () =>
    (await handle.query(statusQuery)).step === step ? true : undefined,
  );
}

export async function expectOutcome(
  handle: WorkflowHandle<typeof onboardUser>,
  outcome: 'completed' | 'abandoned' | 'cancelled',
): Promise<History> {
  const result = await handle.result();
  if (result.outcome !== outcome)
    throw new Error(`${handle.workflowId} ended ${result.outcome}, not ${outcome}`);
  return handle.fetchHistory();
}

export async function onboard(
  ctx: Context,
  registration: Registration,
  reminders: ReminderPolicy = PATIENT,
): Promise<WorkflowHandle<typeof onboardUser>> {
  const { handle, alreadyRunning } = await startOnboarding(ctx.client, ctx.config, registration, {
    taskQueue: ctx.taskQueue,
    reminders,
  });
  if (alreadyRunning) throw new Error(`${handle.workflowId} was already running`);
  ctx.say(`started ${handle.workflowId}`);
  return handle;
}

/** Starts an onboarding in the shape code before reminder schedules gave it. */
export async function onboardLegacy(
  ctx: Context,
  registration: Registration,
  reminders: LegacyReminderPolicy,
): Promise<WorkflowHandle<typeof onboardUser>> {
  const input: OnboardUserInput = { registration, reminders };
  const handle = await ctx.client.workflow.start<typeof onboardUser>('onboardUser', {
    workflowId: onboardingWorkflowId(registration),
    taskQueue: ctx.taskQueue,
    args: [input],
  });
  ctx.say(`started ${handle.workflowId} with the legacy reminder policy`);
  return handle;
}

export function resetInput(
  email: string,
  approval: ResetPasswordInput['approval'],
  deniedRoles: string[],
): ResetPasswordInput {
  const pin = String(randomInt(1000, 10000));
  return { email, name: 'Replay Fixture', pin, approval, deniedRoles, linkLifetimeMs: 3_600_000 };
}

export async function startReset(
  ctx: Context,
  input: ResetPasswordInput,
): Promise<WorkflowHandle<typeof resetPassword>> {
  const handle = await ctx.client.workflow.start<typeof resetPassword>('resetPassword', {
    workflowId: resetWorkflowId(input.email),
    taskQueue: ctx.taskQueue,
    args: [input],
  });
  ctx.say(`started ${handle.workflowId}`);
  return handle;
}

export async function waitForResetStep(
  handle: WorkflowHandle<typeof resetPassword>,
  step: ResetStatus['step'],
): Promise<void> {
  await eventually(`${handle.workflowId} to reach ${step}`, async () =>
    (await handle.query(resetStatusQuery)).step === step ? true : undefined,
  );
}

export async function expectReset(
  handle: WorkflowHandle<typeof resetPassword>,
  outcome: ResetOutcome,
): Promise<History> {
  const result = await handle.result();
  if (result !== outcome) throw new Error(`${handle.workflowId} ended ${result}, not ${outcome}`);
  return handle.fetchHistory();
}
