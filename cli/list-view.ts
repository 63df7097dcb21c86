// What `cli list` prints: one row per onboarding, read from search attributes alone.
import type { Client } from '@temporalio/client';
import { shortTime } from '../shared/onboarding-details';
import { searchAttributes } from '../shared/onboarding';

export interface ListFilter {
  step?: string;
  project?: string;
}

/** A string as a visibility query's literal: quoted, its quotes and backslashes escaped. */
export const quote = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query of `cli list`: onboardings only. */
export function listQuery({ step, project }: ListFilter): string {
  const clauses = [`WorkflowType = 'onboardUser'`];
  if (step) clauses.push(`${searchAttributes.step.name} = ${quote(step)}`);
  if (project) clauses.push(`${searchAttributes.project.name} = ${quote(project)}`);
  // No ORDER BY: SQL visibility refuses it; it lists newest first by itself.
  return clauses.join(' AND ');
}

export interface ListRow {
  email: string;
  project: string;
  step: string;
  started: string;
  reminders: string;
  linkExpires: string;
}

/** One row per onboarding, from search attributes alone (no query, no history: fast at 5 000). */
export async function listOnboardings(client: Client, filter: ListFilter): Promise<ListRow[]> {
  const rows: ListRow[] = [];
  for await (const w of client.workflow.list({ query: listQuery(filter), pageSize: 1000 })) {
    const attrs = w.typedSearchAttributes;
    const expires = attrs.get(searchAttributes.linkExpires);
    rows.push({
      email: attrs.get(searchAttributes.user) ?? '',
      project: attrs.get(searchAttributes.project) ?? '',
      step: attrs.get(searchAttributes.step) ?? w.status.name.toLowerCase(),
      started: shortTime(w.startTime.toISOString()),
      reminders: String(attrs.get(searchAttributes.reminders) ?? ''),
      linkExpires: expires ? shortTime(expires.toISOString()) : '',
    });
  }
  return rows;
}

/** Rows as aligned columns under a header. */
export function formatRows(rows: ListRow[]): string {
  const header: ListRow = {
    email: 'E-MAIL',
    project: 'PROJECT',
    step: 'STEP',
    started: 'STARTED',
    reminders: 'REMINDERS',
    linkExpires: 'LINK EXPIRES',
  };
  const keys = Object.keys(header) as (keyof ListRow)[];
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  return [header, ...rows]
    .map((r) =>
      keys
        .map((k, i) => r[k].padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
