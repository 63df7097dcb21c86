import type { Command } from '../command';
import { formatRows, listOnboardings } from '../list-view';

export const list: Command = {
  name: 'list',
  args: '[--step STEP] [--project PROJECT]',
  help: `one row per onboarding: e-mail, project, step, started, reminders sent and when the link
expires (from search attributes; newest first)`,
  options: { step: { type: 'string' }, project: { type: 'string' } },
  maxPositionals: 0,
  async run({ values }, { temporal }) {
    const rows = await listOnboardings(await temporal(), {
      step: values.step as string | undefined,
      project: values.project as string | undefined,
    });
    if (rows.length > 0) console.log(formatRows(rows));
    console.log(`${rows.length} onboarding${rows.length === 1 ? '' : 's'}`);
    return 0;
  },
};
