import { log } from '@temporalio/activity';
import {
  findRowByKey,
  locateColumns,
  parseAccessSheet,
  type AccessRequest,
  type ColumnMapping,
} from '../../intake/access-rows';
import type { SheetSource } from '../../intake/sheet-source';
import { classified } from '../errors';

export interface PollReport {
  approved: number;
  started: number;
  alreadyStarted: number;
  invalid: number;
  /** Rows marked failed earlier: an admin clears their Status cell to retry. */
  waitingForAdmin: number;
}

export interface IntakeDeps {
  source: SheetSource;
  mapping: ColumnMapping;
  accessTab: string;
  currentUsersTab: string;
  /** Starts the onboarding of one request; 'already' when a poll started it before. */
  start: (request: AccessRequest) => Promise<'started' | 'already'>;
}

/** One sheet writer per process: a row is found and changed without another write in between. */
function serialized() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
}

export function createIntakeActivities({
  source,
  mapping,
  accessTab,
  currentUsersTab,
  start,
}: IntakeDeps) {
  const exclusive = serialized();

  /** The status column, added after the last header when the sheet has none. */
  async function statusColumn(header: string[]): Promise<number> {
    const columns = locateColumns(header, mapping);
    if (columns.status !== undefined) return columns.status;
    const column = header.length + 1;
    await source.updateCells(accessTab, 1, column, [mapping.status]);
    return column;
  }

  async function writeStatus(key: string, status: string): Promise<void> {
    const rows = await source.readRows(accessTab);
    const header = rows[0] ?? [];
    const row = findRowByKey(rows, locateColumns(header, mapping), key);
    if (row === undefined) {
      log.warn('row to mark is gone from the sheet', { key });
      return;
    }
    const column = await statusColumn(header);
    if ((rows[row - 1]?.[column - 1] ?? '') !== status) {
      await source.updateCells(accessTab, row, column, [status.slice(0, 500)]);
    }
  }

  return {
    async markRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => writeStatus(key, status)));
    },

    /** Appends the row to "Current Users" and removes it from the access tab, found by key both times. */
    async moveToCurrentUsers({ key }: { key: string }): Promise<void> {
      await classified(() => exclusive(() => moveRow(key)));
    },

    async pollAccessSheet(): Promise<PollReport> {
      return classified(() => pollOnce());
    },
  };

  async function moveRow(key: string): Promise<void> {
    const rows = await source.readRows(accessTab);
    const columns = locateColumns(rows[0] ?? [], mapping);
    const row = findRowByKey(rows, columns, key);
    if (row === undefined) {
      log.info('row already moved', { key });
      return;
    }
    const current = await source.readRows(currentUsersTab);
    // A retry after a crash between append and delete must not append twice.
    const currentColumns = current.length > 0 ? locateColumns(current[0]!, mapping) : columns;
    if (current.length === 0) await source.appendRow(currentUsersTab, rows[0] ?? []);
    if (findRowByKey(current, currentColumns, key) === undefined) {
      await source.appendRow(currentUsersTab, rows[row - 1] ?? []);
    }
    // Look again right before deleting: a person may have edited the sheet meanwhile.
    const now = await source.readRows(accessTab);
    const rowNow = findRowByKey(now, locateColumns(now[0] ?? [], mapping), key);
    if (rowNow !== undefined) await source.deleteRow(accessTab, rowNow);
  }

  async function pollOnce(): Promise<PollReport> {
    const rows = await source.readRows(accessTab);
    const parsed = parseAccessSheet(rows, mapping);
    const statusAt = parsed.columns.status;
    const statusOf = (row: number) =>
      statusAt === undefined ? '' : (rows[row - 1]?.[statusAt - 1] ?? '').trim();
    const report: PollReport = {
      approved: 0,
      started: 0,
      alreadyStarted: 0,
      invalid: 0,
      waitingForAdmin: 0,
    };
    for (const outcome of parsed.rows) {
      if (outcome.kind === 'not-approved') continue;
      report.approved += 1;
      if (outcome.kind === 'invalid') {
        report.invalid += 1;
        const status = `invalid: ${outcome.reason}`;
        if (statusOf(outcome.row) !== status.slice(0, 500))
          await exclusive(() => writeStatus(outcome.key, status));
        continue;
      }
      if (/^(failed|invalid)/i.test(statusOf(outcome.request.row))) {
        if (statusOf(outcome.request.row).startsWith('failed')) {
          report.waitingForAdmin += 1;
          continue;
        }
        // It was invalid and has been fixed: clear the old reason.
        await exclusive(() => writeStatus(outcome.request.key, ''));
      }
      const result = await start(outcome.request);
      if (result === 'started') report.started += 1;
      else report.alreadyStarted += 1;
    }
    log.info('access sheet polled', { ...report });
    return report;
  }
}
