import { ADMIN, type Command } from '../command';
import { adminAction } from '../updates';

export const extend: Command = {
  name: 'extend',
  args: 'WORKFLOW_ID DURATION',
  help: 'give the person DURATION more (e.g. 7d) before the onboarding is abandoned',
  minPositionals: 2,
  maxPositionals: 2,
  async run({ positionals }, { temporal }) {
    return adminAction('extend', positionals, await temporal(), ADMIN);
  },
};
