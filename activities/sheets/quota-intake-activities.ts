// The quota sheet: approved change requests start one updateQuota workflow each; applied rows
// move to "Processed Requests".
import { log } from '@temporalio/activity';
import { dueNotices, type NoticePolicy } from '../../intake/notices';
import {
  locateQuotaColumns,
  parseQuotaSheet,
  quotaNoticeRows,
  type QuotaRequest,
} from '../../intake/quota-rows';
import type { QuotaColumnMapping } from '../../shared/sheet-columns';
import type { SheetSource } from '../../clients/sheets/sheet-source';
import { classified } from '../errors';
import type { DueNotices, PollReport, StampInput } from '../../shared/activity-contracts';
import { stamps } from './intake-activities';
import { keyedTab, pollTab, serialized, type StartResult } from './keyed-tab';

export interface QuotaIntakeDeps {
  /** Absent when no quota sheet is configured: polls report nothing to do. */
  source: SheetSource | undefined;
  mapping: QuotaColumnMapping;
  requestsTab: string;
  processedTab: string;
  start: (request: QuotaRequest) => Promise<StartResult>;
  notices: NoticePolicy;
  sheetLink: string;
}

export function createQuotaIntakeActivities({
  source,
  mapping,
  requestsTab,
  processedTab,
  start,
  notices,
  sheetLink,
}: QuotaIntakeDeps) {
  // Without a quota sheet nothing is written: any object will do as the writer's key.
  const exclusive = serialized(source ?? {});
  const tab = () => {
    if (!source)
      throw new Error('no quota sheet configured: set [quota_sheet] local_file or spreadsheet_id');
    return keyedTab(source, requestsTab, {
      columns: (header) => {
        const columns = locateQuotaColumns(header, mapping);
        return { ...columns, helpdeskNotified: columns.notified };
      },
      headers: { ...mapping, helpdeskNotified: mapping.notified },
    });
  };

  return {
    async markQuotaRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => tab().writeStatuses([{ key, status }])));
    },

    async moveToProcessedRequests({ key }: { key: string }): Promise<void> {
      await classified(() => exclusive(() => tab().moveRow(key, processedTab)));
    },

    /** Nothing due when no quota sheet is configured. */
    async pendingQuotaNotices(): Promise<DueNotices> {
      if (!source) return { tickets: [], digest: [], sheetLink };
      return classified(async () => ({
        ...dueNotices(
          quotaNoticeRows(await source.readRows(requestsTab), mapping),
          new Date(),
          notices,
        ),
        sheetLink,
      }));
    },

    async stampQuotaRequests(input: StampInput): Promise<void> {
      await classified(() => exclusive(() => tab().writeMarks(input.column, stamps(input))));
    },

    /** null when no quota sheet is configured. */
    async pollQuotaSheet(): Promise<PollReport | null> {
      if (!source) return null;
      return classified(async () => {
        const rows = await source.readRows(requestsTab);
        const parsed = parseQuotaSheet(rows, mapping, new Date());
        const { report, marks } = await pollTab(rows, parsed, start);
        await exclusive(() => tab().writeStatuses(marks));
        log.info('quota sheet polled', { ...report, newlyInvalid: report.newlyInvalid.length });
        return report;
      });
    },
  };
}
