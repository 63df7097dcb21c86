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

  /** The status column; when the sheet has none, it goes after the last header (written with the marks). */
  function statusColumn(header: string[]): { column: number; added: boolean } {
    const existing = locateColumns(header, mapping).status;
    return existing !== undefined
      ? { column: existing, added: false }
      : { column: header.length + 1, added: true };
  }

  /** Writes each key's status in one batch, finding every row by its key at this moment. */
  async function writeStatuses(marks: { key: string; status: string }[]): Promise<void> {
    if (marks.length === 0) return;
    const rows = await source.readRows(accessTab);
    const header = rows[0] ?? [];
    const columns = locateColumns(header, mapping);
    const { column, added } = statusColumn(header);
    const updates = marks.flatMap(({ key, status }) => {
      const row = findRowByKey(rows, columns, key);
      if (row === undefined) {
        log.warn('row to mark is gone from the sheet', { key });
        return [];
      }
      const text = status.slice(0, 500);
      return (rows[row - 1]?.[column - 1] ?? '') === text ? [] : [{ row, column, values: [text] }];
    });
    if (updates.length === 0) return;
    if (added) updates.unshift({ row: 1, column, values: [mapping.status] });
    await source.updateCellsBatch(accessTab, updates);
  }

  return {
    async markRequest({ key, status }: { key: string; status: string }): Promise<void> {
      await classified(() => exclusive(() => writeStatuses([{ key, status }])));
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
    const marks: { key: string; status: string }[] = [];
    for (const outcome of parsed.rows) {
      if (outcome.kind === 'not-approved') continue;
      report.approved += 1;
      if (outcome.kind === 'invalid') {
        report.invalid += 1;
        const status = `invalid: ${outcome.reason}`;
        if (statusOf(outcome.row) !== status.slice(0, 500))
          marks.push({ key: outcome.key, status });
        continue;
      }
      const previous = statusOf(outcome.request.row);
      if (previous.startsWith('failed')) {
        report.waitingForAdmin += 1;
        continue;
      }
      // It was invalid and has been fixed: clear the old reason.
      if (previous.startsWith('invalid')) marks.push({ key: outcome.request.key, status: '' });
      const result = await start(outcome.request);
      if (result === 'started') report.started += 1;
      else report.alreadyStarted += 1;
    }
    // One write for all the marks: a thousand bad rows are one API call, not a thousand.
    await exclusive(() => writeStatuses(marks));
    log.info('access sheet polled', { ...report });
    return report;
  }
}
