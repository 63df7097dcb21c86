import { ADMIN, type Command } from '../command';
import { adminAction } from '../updates';

export const resend: Command = {
  name: 'resend',
  args: 'WORKFLOW_ID',
  help: 'mail a new set-password link now (the old link stops working)',
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals }, { temporal }) {
    return adminAction('resend', positionals, await temporal(), ADMIN);
  },
};
