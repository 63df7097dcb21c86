// What `cli audit` reads and prints: the workflows of a person or a project, found in Temporal's
// visibility alone (the search attributes every onboarding and quota change carries, the ids of
// resets), their histories in words, merged by time. No query, no worker: closed workflows too.
import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { resetWorkflowId, searchAttributes } from '../shared/onboarding';
import { formRequestWorkflowId } from '../shared/form-request-contract';
import { decodeHistory } from './audit-events';
import { obj, str } from './audit-steps';
import { mergeTimelines, timelineOf, type TimelineEntry } from './audit-timeline';
import { quote } from './list-view';

/**
 * The visibility queries of an e-mail (onboardings and quota changes by OnboardingUser, as given
 * and in lower case; its resets by id) or of a project (by OnboardingProject).
 */
export function auditQueries(subject: string): string[] {
  const given = subject.trim();
  if (!given.includes('@')) return [`${searchAttributes.project.name} = ${quote(given)}`];
  const spellings = [...new Set([given, given.toLowerCase()])].map(quote);
  return [
    `${searchAttributes.user.name} IN (${spellings.join(', ')})`,
    `WorkflowId = ${quote(resetWorkflowId(given))}`,
  ];
}

/** gRPC's status code for a workflow the server does not have. */
const NOT_FOUND = 5;

interface Run {
  workflowId: string;
  runId?: string;
  startTime?: Date;
}

export interface Audit {
  entries: TimelineEntry[];
  workflows: number;
}

/** Each run's timeline, a few histories at a time; a linked form request is read too. */
export async function auditOf(client: Client, subject: string, parallel = 8): Promise<Audit> {
  const runs = new Map<string, Run>();
  for (const query of auditQueries(subject))
    for await (const w of client.workflow.list({ query, pageSize: 1000 }))
      runs.set(w.runId, { workflowId: w.workflowId, runId: w.runId, startTime: w.startTime });
  const queue = [...runs.values()];
  const timelines: TimelineEntry[][] = [];
  const seen = new Set(queue.map((r) => r.workflowId));
  const converter = client.workflow.options.loadedDataConverter;

  async function read(run: Run): Promise<void> {
    let history;
    try {
      history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    } catch (err) {
      // A linked form request may be past the namespace's retention: nothing to say of it.
      // (fetchHistory throws gRPC's own NOT_FOUND, not the client's WorkflowNotFoundError.)
      const gone =
        err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === NOT_FOUND);
      if (gone && run.runId === undefined) return;
      throw err;
    }
    try {
      const decoded = await decodeHistory(history, converter);
      timelines.push(timelineOf(run.workflowId, decoded));
      // A row of the /register form carries its request id: that request's history is its start.
      const first = decoded.events[0];
      const requestId =
        first?.kind === 'started' ? str(obj(obj(first.input).registration).pinRequest) : '';
      const linked = requestId ? formRequestWorkflowId(requestId) : '';
      if (linked && !seen.has(linked)) {
        seen.add(linked);
        queue.push({ workflowId: linked });
      }
    } catch (err) {
      // One history the codec cannot read (a key no longer configured) does not hide the others.
      timelines.push([
        {
          at: (run.startTime ?? new Date(0)).toISOString(),
          workflowId: run.workflowId,
          what: 'history not readable',
          detail: (err as Error).message,
        },
      ]);
    }
  }

  const worker = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) await read(run);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { entries: mergeTimelines(timelines), workflows: timelines.length };
}

/** Entries as aligned columns under a header: time (UTC, to the second), workflow, what, detail. */
export function formatTimeline(entries: TimelineEntry[]): string {
  const rows = [
    ['TIME (UTC)', 'WORKFLOW', 'WHAT', 'DETAIL'],
    ...entries.map((e) => [e.at.slice(0, 19).replace('T', ' '), e.workflowId, e.what, e.detail]),
  ];
  const widths = [0, 1, 2].map((k) => Math.max(...rows.map((r) => r[k]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, k) => cell.padEnd(widths[k] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
