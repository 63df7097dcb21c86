import type { Command } from '../command';
import { statusView } from '../status-view';

export const status: Command = {
  name: 'status',
  args: 'WORKFLOW_ID',
  help: `show a workflow (onboard:…, quota:…, reset:…, request:…) as the Web UI does with the codec
endpoint: summary, details in words, the decoded input with every secret redacted, its status,
and a failed one's failure (type and message)`,
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals: [workflowId] }, { temporal }) {
    console.log(JSON.stringify(await statusView(await temporal(), workflowId!), null, 2));
    return 0;
  },
};
