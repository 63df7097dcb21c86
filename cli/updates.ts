// The CLI's admin actions as Workflow Updates: an answer with the new status, or the reason of a
// refusal (by the CLI when the workflow is closed, or by the workflow's validator), at once.
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { parseDuration } from '../config/duration';
import { shortTime } from '../shared/onboarding-details';
import {
  cancelOnboardingUpdate,
  decideResetUpdate,
  extendDeadlineUpdate,
  resendLinkUpdate,
  retryMailUpdate,
  type OnboardingStatus,
} from '../shared/onboarding';

export type AdminAction = 'resend' | 'retry-mail' | 'extend' | 'cancel';

/** "2 days ago", "5 minutes ago": how long since `then`. */
export function ago(then: Date, now = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  const [n, unit] =
    s < 90
      ? [s, 'second']
      : s < 5400
        ? [Math.round(s / 60), 'minute']
        : s < 129_600
          ? [Math.round(s / 3600), 'hour']
          : [Math.round(s / 86_400), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

/** Why a workflow that is no longer running cannot take an action, or undefined if it runs. */
export function closedRefusal(
  description: Pick<WorkflowExecutionDescription, 'status' | 'closeTime'>,
  now = new Date(),
): string | undefined {
  const state = description.status.name;
  if (state === 'RUNNING') return undefined;
  const when = description.closeTime ? ` ${ago(description.closeTime, now)}` : '';
  const words = state === 'COMPLETED' ? 'completed' : state.toLowerCase().replace(/_/g, ' ');
  return `no password is awaited: the workflow ${words}${when}`;
}

/** The one line the CLI prints for an onboarding's new status. */
export function statusLine(workflowId: string, s: OnboardingStatus): string {
  const parts = [
    `step ${s.step}`,
    `reminders ${s.remindersSent}`,
    `links sent ${s.linksSent ?? 1}`,
  ];
  if (s.linkExpiresAt && !s.passwordSetAt) parts.push(`link expires ${shortTime(s.linkExpiresAt)}`);
  if (s.abandonAt && s.step === 'waiting-for-password')
    parts.push(`abandoned if no password by ${shortTime(s.abandonAt)}`);
  if (s.endNote) parts.push(s.endNote);
  return `${workflowId}: ${parts.join(', ')}`;
}

async function refusedIfClosed(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    return closedRefusal(await client.workflow.getHandle(workflowId).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return `no workflow ${workflowId}`;
    throw err;
  }
}

/**
 * Sends one Update and prints its answer: the workflow's new state, or why it was refused (by the
 * CLI when the workflow is closed, or by the workflow's validator). Exit code 0 or 1.
 */
async function sendUpdate<T>(
  client: Client,
  workflowId: string,
  verb: string,
  update: (handle: WorkflowHandle) => Promise<T>,
  show: (answer: T) => string,
  closedWords = (refusal: string) => refusal,
): Promise<number> {
  const closed = await refusedIfClosed(client, workflowId);
  if (closed) {
    console.error(`${verb} refused: ${closedWords(closed)}`);
    return 1;
  }
  try {
    console.log(show(await update(client.workflow.getHandle(workflowId))));
    return 0;
  } catch (err) {
    // A validator's refusal comes back as the update's failure: its message is the reason.
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    console.error(`${verb} refused: ${err.cause?.message ?? err.message}`);
    return 1;
  }
}

/** Sends one admin action as an Update; prints the new status or the refusal. Exit code. */
export async function adminAction(
  action: AdminAction,
  args: string[],
  client: Client,
  by: string,
): Promise<number> {
  const [workflowId, argument] = args;
  if (!workflowId || ((action === 'extend' || action === 'cancel') && !argument)) return 2;
  let ms = 0;
  if (action === 'extend') {
    const parsed = parseDuration(argument!);
    if (parsed === undefined || parsed <= 0) {
      console.error(`"${argument}" is not a duration: write it like 12h or 7d`);
      return 2;
    }
    ms = parsed;
  }
  return sendUpdate(
    client,
    workflowId,
    action,
    (handle) =>
      action === 'resend'
        ? handle.executeUpdate(resendLinkUpdate, { args: [{ by }] })
        : action === 'retry-mail'
          ? handle.executeUpdate(retryMailUpdate, { args: [{ by }] })
          : action === 'extend'
            ? handle.executeUpdate(extendDeadlineUpdate, { args: [{ by, ms }] })
            : handle.executeUpdate(cancelOnboardingUpdate, {
                args: [{ by, reason: args.slice(1).join(' ') }],
              }),
    (status) => `${action} done: ${statusLine(workflowId, status)}`,
  );
}

/** Approves or rejects a reset waiting for approval. Exit code. */
export function decideReset(
  workflowId: string,
  approved: boolean,
  client: Client,
  by: string,
): Promise<number> {
  return sendUpdate(
    client,
    workflowId,
    approved ? 'approve' : 'reject',
    (handle) => handle.executeUpdate(decideResetUpdate, { args: [{ approved, by }] }),
    (status) =>
      `${approved ? 'approved' : 'rejected'}: ${workflowId} — step ${status.step}${status.outcome ? `, ${status.outcome}` : ''}`,
    (refusal) => refusal.replace('no password is awaited', 'nothing to decide'),
  );
}
