import { ADMIN, type Command } from '../command';
import { adminAction } from '../updates';

export const retryMail: Command = {
  name: 'retry-mail',
  args: 'WORKFLOW_ID',
  help: `send again a mail the server refused (the onboarding waits in step mail-refused until you
retry or cancel)`,
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals }, { temporal }) {
    return adminAction('retry-mail', positionals, await temporal(), ADMIN);
  },
};
