import type { pollRegistrations } from '../../workflows';
import type { Command } from '../command';

export const pollNow: Command = {
  name: 'poll-now',
  args: '',
  help: 'poll both sheets once now and print what it did',
  maxPositionals: 0,
  async run(_input, { config, temporal }) {
    const client = await temporal();
    const report = await client.workflow.execute<typeof pollRegistrations>('pollRegistrations', {
      workflowId: `poll-now:${new Date().toISOString()}`,
      taskQueue: config.temporal.task_queue,
      staticSummary: 'Poll the access and quota sheets now (cli poll-now)',
    });
    console.log(JSON.stringify(report, null, 2));
    return 0;
  },
};
