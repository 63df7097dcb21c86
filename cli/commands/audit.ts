import type { Command } from '../command';
import { auditOf, formatTimeline } from '../audit-view';

export const audit: Command = {
  name: 'audit',
  args: '(EMAIL | PROJECT) [--json]',
  help: `what the system did for a person or a project, in time order, from Temporal alone
(visibility and histories): an address (it has an @) finds its onboardings, quota changes and
resets, a project its onboardings and quota changes. The start and its sheet row, project, user,
role, quotas (old -> new), each mail by template, admin actions (who, why), the password set,
the end and its reason; never a mail's text, a PIN, a token or a password
--json: one JSON object a line, {at, workflowId, what, detail}`,
  options: { json: { type: 'boolean' } },
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals: [subject], values }, { temporal }) {
    const { entries, workflows } = await auditOf(await temporal(), subject!);
    if (workflows === 0) {
      console.error(`no workflow of ${subject} in Temporal (or past its retention)`);
      return 1;
    }
    if (values.json) {
      for (const entry of entries) console.log(JSON.stringify(entry));
      return 0;
    }
    console.log(formatTimeline(entries));
    console.log(
      `${entries.length} entries from ${workflows} workflow${workflows === 1 ? '' : 's'}`,
    );
    return 0;
  },
};
