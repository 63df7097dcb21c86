import { formatDuration } from '../../config/duration';
import {
  checkScheduleId,
  ensureCheckSchedule,
  ensurePollerSchedule,
  pollerScheduleId,
} from '../../lib/poller-schedule';
import type { Command } from '../command';

export const schedulePoller: Command = {
  name: 'schedule-poller',
  args: '',
  help: `create (or update) the schedules: the poll of the access and quota sheets (every [intake]
poll_interval) and the helpdesk-ticket and approver-digest check (every [approvers] check_every)`,
  maxPositionals: 0,
  async run(_input, { config, temporal }) {
    const client = await temporal();
    const queue = config.temporal.task_queue;
    const polled = await ensurePollerSchedule(client, config);
    console.log(
      `poller schedule ${pollerScheduleId(queue)} ${polled}: every ${formatDuration(config.intake.poll_interval)}`,
    );
    const checked = await ensureCheckSchedule(client, config);
    console.log(
      `ticket and approver check ${checkScheduleId(queue)} ${checked}: every ${formatDuration(config.approvers.check_every)}`,
    );
    return 0;
  },
};
