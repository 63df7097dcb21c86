import { ADMIN, type Command } from '../command';
import { adminAction } from '../updates';

export const cancel: Command = {
  name: 'cancel',
  args: 'WORKFLOW_ID REASON...',
  help: 'stop waiting for the password; the row says who cancelled and why',
  minPositionals: 2,
  async run({ positionals }, { temporal }) {
    return adminAction('cancel', positionals, await temporal(), ADMIN);
  },
};
