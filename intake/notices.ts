// Which rows of a request sheet are due a helpdesk ticket or an approver reminder. Pure: the
// rows, the time and the policy in; the due rows out. Stamps are what make it idempotent: a
// stamped row is not due again (tickets) or not before `intervalMs` (reminders).
import type { NoticeRow } from '../shared/activity-contracts';
import { cellReader, requestKey, type Columns } from './sheet-layout';

/** The columns every request sheet has under these logical names. */
type CommonColumn = 'approved' | 'timestamp' | 'email' | 'firstName' | 'lastName' | 'reminderSent';

/**
 * The non-blank data rows of a request sheet as notice rows: the common columns read here,
 * the sheet's own fields (project, comment, request type, its "notified" stamp) by `own`.
 */
export function noticeRowsOf<C extends string>(
  rows: string[][],
  columns: Columns<C | CommonColumn>,
  own: (
    cell: (column: C | CommonColumn) => string,
  ) => Pick<NoticeRow, 'project' | 'comment' | 'requestType' | 'helpdeskNotified'>,
): NoticeRow[] {
  return rows.slice(1).flatMap((cells) => {
    if (cells.every((c) => c.trim() === '')) return [];
    const cell = cellReader(cells, columns);
    return [
      {
        key: requestKey(cell('email'), cell('timestamp')),
        approved: cell('approved').toLowerCase() === 'approved',
        timestamp: cell('timestamp'),
        email: cell('email').toLowerCase(),
        firstName: cell('firstName'),
        lastName: cell('lastName'),
        reminderSent: cell('reminderSent'),
        ...own(cell),
      },
    ];
  });
}

export interface NoticePolicy {
  /** Tickets only when a helpdesk address is configured, digests only with an approvers' one. */
  tickets: boolean;
  digest: boolean;
  /** A request waiting for approval longer than this is mentioned to the approvers. */
  startMs: number;
  /** …and again at most this often. */
  intervalMs: number;
}

export function dueNotices(
  rows: NoticeRow[],
  now: Date,
  policy: NoticePolicy,
): { tickets: NoticeRow[]; digest: NoticeRow[] } {
  const tickets = rows.filter(
    (r) => policy.tickets && r.approved && r.helpdeskNotified.trim() === '',
  );
  const digest = rows.filter((r) => {
    if (!policy.digest || r.approved) return false;
    const submitted = parseFormTimestamp(r.timestamp);
    if (!submitted || now.getTime() - submitted.getTime() < policy.startMs) return false;
    const reminded = parseStamp(r.reminderSent);
    return !reminded || now.getTime() - reminded.getTime() >= policy.intervalMs;
  });
  return { tickets, digest };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The original tools' stamp: "29 Nov 2026 06:20:00" (UTC). */
export function formatStamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
  );
}

export function parseStamp(text: string): Date | undefined {
  const m = /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (m) {
    const month = MONTHS.indexOf(m[2]!);
    if (month < 0) return undefined;
    return new Date(Date.UTC(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!));
  }
  return parseFormTimestamp(text);
}

/** A form's Timestamp: Google Forms' "11/28/2026 10:00:00" or an ISO time; UTC when no zone. */
export function parseFormTimestamp(text: string): Date | undefined {
  const t = text.trim();
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (us) {
    const [, month, day, year, h = '0', min = '0', sec = '0'] = us;
    return new Date(Date.UTC(+year!, +month! - 1, +day!, +h, +min, +sec));
  }
  if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    return undefined;
  }
  const iso = t.replace(' ', 'T');
  const date = new Date(/[Zz]|[+-]\d{2}:?\d{2}$/.test(iso) || iso.length === 10 ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
