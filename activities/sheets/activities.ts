import { log } from '@temporalio/activity';
import {
  accessNoticeRows,
  locateColumns,
  parseAccessSheet,
  type AccessRequest,
  type ColumnMapping,
} from '../../intake/access-rows';
import type { SheetSource } from '../../intake/sheet-source';
import { classified } from '../errors';
import { dueNotices, formatStamp, type NoticePolicy, type NoticeRow } from '../../intake/notices';
import {
  keyedTab,
  pollTab,
  serialized,
  type MarkColumn,
  type PollReport,
  type StartResult,
} from './keyed-tab';

export interface StampInput {
  column: Exclude<MarkColumn, 'status'>;
  keys: string[];
  /** ISO time of the notice (the workflow's clock, so a retry writes the same stamp). */
  at: string;
}

export function stamps({ keys, at }: StampInput): { key: string; status: string }[] {
  const text = formatStamp(new Date(at));
  return keys.map((key) => ({ key, status: text }));
}

export type { PollReport } from './keyed-tab';

/** What a request sheet owes the helpdesk and the approvers now. */
export interface DueNotices {
  tickets: NoticeRow[];
  digest: NoticeRow[];
  /** Where the approvers find the sheet (its URL, or the local file). */
  sheetLink: string;
}

export interface IntakeDeps {
  source: SheetSource;
  mapping: ColumnMapping;
  accessTab: string;
  currentUsersTab: string;
  /** Starts the onboarding of one request; 'already' when a poll started it before. */
  start: (request: AccessRequest) => Promise<StartResult>;
  notices: NoticePolicy;
  sheetLink: string;
}

export function createIntakeActivities({
  source,
  mapping,
  accessTab,
  currentUsersTab,
  start,
  notices,
  sheetLink,
}: IntakeDeps) {
  const exclusive = serialized();

  const tab = keyedTab(source, accessTab, {
    columns: (header) => locateColumns(header, mapping),
    headers: mapping,
  });

  return {
    async markRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => tab.writeStatuses([{ key, status }])));
    },

    /** Appends the row to "Current Users" and removes it from the access tab, found by key both times. */
    async moveToCurrentUsers({ key }: { key: string }): Promise<void> {
      await classified(() => exclusive(() => tab.moveRow(key, currentUsersTab)));
    },

    async pollAccessSheet(): Promise<PollReport> {
      return classified(() => pollOnce());
    },

    async pendingAccessNotices(): Promise<DueNotices> {
      return classified(async () => ({
        ...dueNotices(
          accessNoticeRows(await source.readRows(accessTab), mapping),
          new Date(),
          notices,
        ),
        sheetLink,
      }));
    },

    /** Stamps "Helpdesk Notified" or "Reminder Sent" of the rows with these keys. */
    async stampAccessRequests(input: StampInput): Promise<void> {
      await classified(() => exclusive(() => tab.writeMarks(input.column, stamps(input))));
    },
  };

  async function pollOnce(): Promise<PollReport> {
    const rows = await source.readRows(accessTab);
    const { report, marks } = await pollTab(rows, parseAccessSheet(rows, mapping), start);
    // One write for all the marks: a thousand bad rows are one API call, not a thousand.
    await exclusive(() => tab.writeStatuses(marks));
    log.info('access sheet polled', { ...report, newlyInvalid: report.newlyInvalid.length });
    return report;
  }
}
