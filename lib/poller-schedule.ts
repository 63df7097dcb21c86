import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { formatDuration } from '../config/duration';
import type { Config } from '../config/schema';

/** One schedule per task queue, so a test or a second deployment never takes over another's. */
export function pollerScheduleId(taskQueue: string): string {
  return `kaizen-registration-poller:${taskQueue}`;
}

/** The helpdesk-ticket and approver-digest check (the original's hourly cron job). */
export function checkScheduleId(taskQueue: string): string {
  return `kaizen-request-check:${taskQueue}`;
}

/** Creates a schedule, or brings an existing one to the given interval and action. */
async function ensureSchedule(
  client: Client,
  scheduleId: string,
  every: number,
  action: {
    type: 'startWorkflow';
    workflowType: string;
    taskQueue: string;
    args: unknown[];
    staticSummary: string;
  },
): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      // A slow run (a big sheet, a slow API) is never run twice at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}

/** The poller of the access and quota sheets, every [intake] poll_interval. */
export function ensurePollerSchedule(
  client: Client,
  config: Config,
  taskQueue = config.temporal.task_queue,
): Promise<'created' | 'updated'> {
  return ensureSchedule(client, pollerScheduleId(taskQueue), config.intake.poll_interval, {
    type: 'startWorkflow',
    workflowType: 'pollRegistrations',
    taskQueue,
    args: [],
    staticSummary:
      'Poll the access and quota sheets: start an onboarding or quota change per approved row',
  });
}

/** Tickets and the approver digest, every [approvers] check_every. */
export function ensureCheckSchedule(
  client: Client,
  config: Config,
  taskQueue = config.temporal.task_queue,
): Promise<'created' | 'updated'> {
  return ensureSchedule(client, checkScheduleId(taskQueue), config.approvers.check_every, {
    type: 'startWorkflow',
    workflowType: 'checkRequests',
    taskQueue,
    args: [{ startText: formatDuration(config.approvers.start) }],
    staticSummary: 'Open helpdesk tickets and mail the approvers their digest of waiting requests',
  });
}
