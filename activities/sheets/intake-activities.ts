import { activityInfo, log } from '@temporalio/activity';
import {
  accessNoticeRows,
  locateColumns,
  parseAccessSheet,
  type AccessRequest,
} from '../../intake/access-rows';
import type { ColumnMapping } from '../../shared/sheet-columns';
import type { SheetSource } from '../../clients/sheets/sheet-source';
import { classified } from '../errors';
import { dueNotices, formatStamp, type NoticePolicy } from '../../intake/notices';
import type { DueNotices, PollReport, StampInput } from '../../shared/activity-contracts';
import { shortTime } from '../../shared/onboarding-details';
import { keyedTab, pollTab, serialized, type StartResult } from './keyed-tab';

export function stamps({ keys, at }: StampInput): { key: string; status: string }[] {
  const text = formatStamp(new Date(at));
  return keys.map((key) => ({ key, status: text }));
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
  const exclusive = serialized(source);

  const tab = keyedTab(source, accessTab, {
    columns: (header) => locateColumns(header, mapping),
    headers: mapping,
  });

  return {
    async markRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => tab.writeStatuses([{ key, status }])));
    },

    /**
     * Appends the row to "Current Users", its Status `completed <time>`, and removes it from the
     * access tab, found by key both times.
     */
    async moveToCurrentUsers({ key }: { key: string }): Promise<void> {
      // When the workflow asked for the move (its completion), the same on every retry.
      const at = new Date(activityInfo().scheduledTimestampMs).toISOString();
      const status = `completed ${shortTime(at)}`;
      await classified(() => exclusive(() => tab.moveRow(key, currentUsersTab, status)));
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
