import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config/schema';

/** One schedule per task queue, so a test or a second deployment never takes over another's. */
export function pollerScheduleId(taskQueue: string): string {
  return `kaizen-registration-poller:${taskQueue}`;
}

/** Creates the poller schedule, or brings an existing one to the configured interval. */
export async function ensurePollerSchedule(
  client: Client,
  config: Config,
  taskQueue = config.temporal.task_queue,
): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every: config.intake.poll_interval }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'pollRegistrations',
    taskQueue,
    args: [],
  };
  try {
    await client.schedule.create({
      scheduleId: pollerScheduleId(taskQueue),
      spec,
      action,
      // A slow poll (a big sheet, a slow API) is never run twice at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(pollerScheduleId(taskQueue))
      .update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
