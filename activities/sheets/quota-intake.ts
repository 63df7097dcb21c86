// The quota sheet: approved change requests start one updateQuota workflow each; applied rows
// move to "Processed Requests".
import { log } from '@temporalio/activity';
import {
  locateQuotaColumns,
  parseQuotaSheet,
  type QuotaColumnMapping,
  type QuotaRequest,
} from '../../intake/quota-rows';
import type { SheetSource } from '../../intake/sheet-source';
import { classified } from '../errors';
import { keyedTab, pollTab, serialized, type PollReport } from './keyed-tab';

export interface QuotaIntakeDeps {
  /** Absent when no quota sheet is configured: polls report nothing to do. */
  source: SheetSource | undefined;
  mapping: QuotaColumnMapping;
  requestsTab: string;
  processedTab: string;
  start: (request: QuotaRequest) => Promise<'started' | 'already'>;
}

export function createQuotaIntakeActivities({
  source,
  mapping,
  requestsTab,
  processedTab,
  start,
}: QuotaIntakeDeps) {
  const exclusive = serialized();
  const tab = () => {
    if (!source)
      throw new Error('no quota sheet configured: set [quota_sheet] local_file or spreadsheet_id');
    return keyedTab(source, requestsTab, {
      columns: (header) => locateQuotaColumns(header, mapping),
      statusHeader: mapping.status,
    });
  };

  return {
    async markQuotaRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => tab().writeStatuses([{ key, status }])));
    },

    async moveToProcessedRequests({ key }: { key: string }): Promise<void> {
      await classified(() => exclusive(() => tab().moveRow(key, processedTab)));
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
