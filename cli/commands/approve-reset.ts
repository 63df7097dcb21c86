import { ADMIN, type Command } from '../command';
import { decideReset } from '../updates';

export const approveReset: Command = {
  name: 'approve-reset',
  args: 'WORKFLOW_ID [--reject]',
  help: 'decide a password reset waiting for approval ([reset] approval = approve)',
  options: { reject: { type: 'boolean' } },
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals: [workflowId], values }, { temporal }) {
    return decideReset(workflowId!, !values.reject, await temporal(), ADMIN);
  },
};
