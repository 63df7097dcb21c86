// Writes to a request tab whose rows are found by key (email + timestamp) at the moment of each
// write: people sort, insert and delete rows while the system runs.
import { log } from '@temporalio/activity';
import type { RowOutcome } from '../../intake/keyed-rows';
import { findRowByKey } from '../../intake/sheet-layout';
import type { SheetSource } from '../../clients/sheets/sheet-source';
import type { MarkColumn, PollReport } from '../../shared/activity-contracts';

export interface KeyedTabLayout {
  /** The columns of a header row (throws when a required one is missing). */
  columns(
    header: string[],
  ): { email?: number; timestamp?: number } & Partial<Record<MarkColumn, number>>;
  /** Header text of each column the system writes. */
  headers: Record<MarkColumn, string>;
}

type Exclusive = <T>(work: () => Promise<T>) => Promise<T>;
const writers = new WeakMap<object, Exclusive>();

/**
 * One sheet writer per source and process: a row is found and changed with no write in between.
 * Every activity given the same source (the poll's marks, moves, a form's new row) shares it.
 */
export function serialized(source: object): Exclusive {
  const existing = writers.get(source);
  if (existing) return existing;
  let last: Promise<unknown> = Promise.resolve();
  const exclusive: Exclusive = (work) => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
  writers.set(source, exclusive);
  return exclusive;
}

export function keyedTab(source: SheetSource, tab: string, layout: KeyedTabLayout) {
  /** Writes each key's status in one batch (one API call for a thousand marks). */
  function writeStatuses(marks: Mark[]): Promise<void> {
    return writeMarks('status', marks);
  }

  /** Writes one column of several rows, each found by key now, in one batch. */
  async function writeMarks(markColumn: MarkColumn, marks: Mark[]): Promise<void> {
    if (marks.length === 0) return;
    const rows = await source.readRows(tab);
    const header = rows[0] ?? [];
    const columns = layout.columns(header);
    // When the sheet lacks the column, it goes after the last header, written with the marks.
    const added = columns[markColumn] === undefined;
    const column = columns[markColumn] ?? header.length + 1;
    const updates = marks.flatMap(({ key, status, onlyOver }) => {
      const row = findRowByKey(rows, columns, key);
      if (row === undefined) {
        log.warn('row to mark is gone from the sheet', { tab, key });
        return [];
      }
      const text = status.slice(0, 500);
      const current = rows[row - 1]?.[column - 1] ?? '';
      if (current === text || (onlyOver && !onlyOver(current))) return [];
      return [{ row, column, values: [text] }];
    });
    if (updates.length === 0) return;
    if (added) updates.unshift({ row: 1, column, values: [layout.headers[markColumn]] });
    await source.updateCellsBatch(tab, updates);
  }

  /**
   * Appends the row to `to` and deletes it here, found by key both times; safe to repeat. With
   * `status`, the copy's Status says that instead of what the row says here ("in progress").
   */
  async function moveRow(key: string, to: string, status?: string): Promise<void> {
    const rows = await source.readRows(tab);
    const columns = layout.columns(rows[0] ?? []);
    const row = findRowByKey(rows, columns, key);
    if (row === undefined) {
      log.info('row already moved', { tab, key });
      return;
    }
    const target = await source.readRows(to);
    // A retry after a crash between append and delete must not append twice.
    const targetColumns = target.length > 0 ? layout.columns(target[0]!) : columns;
    if (target.length === 0) await source.appendRow(to, rows[0] ?? []);
    if (findRowByKey(target, targetColumns, key) === undefined) {
      const cells = [...(rows[row - 1] ?? [])];
      if (status !== undefined) {
        // Cells are copied by position: the Status goes in this tab's Status column, whose
        // header the target gets if it has none and nothing else heads that column there.
        const header = target[0] ?? rows[0] ?? [];
        const at = columns.status ?? Math.max(header.length, cells.length) + 1;
        if (layout.columns(header).status === undefined && !header[at - 1]?.trim())
          await source.updateCells(to, 1, at, [layout.headers.status]);
        while (cells.length < at) cells.push('');
        cells[at - 1] = status.slice(0, 500);
      }
      await source.appendRow(to, cells);
    }
    // Look again right before deleting: a person may have edited the sheet meanwhile.
    const now = await source.readRows(tab);
    const rowNow = findRowByKey(now, layout.columns(now[0] ?? []), key);
    if (rowNow !== undefined) await source.deleteRow(tab, rowNow);
  }

  return { writeStatuses, writeMarks, moveRow };
}

/** What starting a row's workflow did: 'already' = it is running, 'ended' = it ran before. */
export type StartResult = 'started' | 'already' | 'ended';

/** Temporal refused to start a row's workflow as asked: that row is marked, the others go on. */
export class StartRefused extends Error {}

export interface Mark {
  key: string;
  status: string;
  /** Written only over a cell this accepts (read right before the write). */
  onlyOver?: (current: string) => boolean;
}

/**
 * Written on a row when its work starts. Later polls skip rows with any Status the system
 * wrote without asking Temporal again (a 10 000-row sheet is one read, not 10 000 calls);
 * clearing the cell has a row looked at again.
 */
export const IN_PROGRESS = 'in progress';
const inProgressMark = (at: Date) =>
  `${IN_PROGRESS} since ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
/** A workflow may already have written its outcome (say, failed) by the time the poll writes. */
const stillUnmarked = (current: string) => current === '' || current.startsWith('invalid');

/** Starts at once per poll: enough to keep Temporal busy, few enough for a small server. */
const START_CONCURRENCY = 8;

/**
 * One read of a request tab: starts the work of each approved valid row not started before
 * (a start of a row started before is a no-op), marks started rows "in progress" and invalid
 * rows with their reason, all marks in one write.
 */
export async function pollTab<R extends { key: string; row: number; email: string }>(
  rows: string[][],
  parsed: { columns: { status?: number }; rows: RowOutcome<R>[] },
  start: (request: R) => Promise<StartResult>,
  now: Date = new Date(),
): Promise<{ report: PollReport; marks: Mark[] }> {
  const statusAt = parsed.columns.status;
  const statusOf = (row: number) =>
    statusAt === undefined ? '' : (rows[row - 1]?.[statusAt - 1] ?? '').trim();
  const report: PollReport = {
    approved: 0,
    started: 0,
    alreadyStarted: 0,
    invalid: 0,
    waitingForAdmin: 0,
    newlyInvalid: [],
  };
  const marks: Mark[] = [];
  const toStart: R[] = [];
  const invalid = (row: number, key: string, reason: string, email = key.split('|')[0]) => {
    report.invalid += 1;
    const status = `invalid: ${reason}`;
    if (statusOf(row) === status.slice(0, 500)) return;
    marks.push({ key, status });
    report.newlyInvalid.push(`row ${row} (${email}): ${reason}`);
  };
  for (const outcome of parsed.rows) {
    if (outcome.kind === 'not-approved') continue;
    report.approved += 1;
    if (outcome.kind === 'invalid') {
      invalid(outcome.row, outcome.key, outcome.reason);
      continue;
    }
    const previous = statusOf(outcome.request.row);
    if (previous.startsWith('failed')) report.waitingForAdmin += 1;
    else if (previous !== '' && !previous.startsWith('invalid')) report.alreadyStarted += 1;
    else toStart.push(outcome.request);
  }
  let next = 0;
  const lane = async () => {
    while (next < toStart.length) {
      const request = toStart[next++]!;
      let result: StartResult;
      try {
        result = await start(request);
      } catch (err) {
        if (!(err instanceof StartRefused)) throw err;
        invalid(request.row, request.key, `could not be started: ${err.message}`, request.email);
        continue;
      }
      if (result === 'started') report.started += 1;
      else report.alreadyStarted += 1;
      if (result === 'ended') {
        // It ran before and its Status was cleared: it is not in progress, whatever it was.
        if (statusOf(request.row).startsWith('invalid'))
          marks.push({ key: request.key, status: '' });
        continue;
      }
      // Also a row started by a poll that stopped before writing its marks: mark it now, or
      // every later poll would ask Temporal about it again.
      marks.push({ key: request.key, status: inProgressMark(now), onlyOver: stillUnmarked });
    }
  };
  await Promise.all(Array.from({ length: START_CONCURRENCY }, lane));
  return { report, marks };
}
