import { log } from '@temporalio/activity';
import {
  locateColumns,
  parseAccessSheet,
  type AccessRequest,
  type ColumnMapping,
} from '../../intake/access-rows';
import type { SheetSource } from '../../intake/sheet-source';
import { classified } from '../errors';
import { keyedTab, pollTab, serialized, type PollReport } from './keyed-tab';

export type { PollReport } from './keyed-tab';

export interface IntakeDeps {
  source: SheetSource;
  mapping: ColumnMapping;
  accessTab: string;
  currentUsersTab: string;
  /** Starts the onboarding of one request; 'already' when a poll started it before. */
  start: (request: AccessRequest) => Promise<'started' | 'already'>;
}

export function createIntakeActivities({
  source,
  mapping,
  accessTab,
  currentUsersTab,
  start,
}: IntakeDeps) {
  const exclusive = serialized();

  const tab = keyedTab(source, accessTab, {
    columns: (header) => locateColumns(header, mapping),
    statusHeader: mapping.status,
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
