import { proxyActivities } from '@temporalio/workflow';
import { SERVICE_CALL, SHEET_NOTICES } from '../shared/activity-policies';
import {
  digestLine,
  type DueNotices,
  type OnboardingActivities,
  type StampInput,
} from '../shared/activity-contracts';

const { sendMail } = proxyActivities<OnboardingActivities>(SERVICE_CALL);
const { pendingAccessNotices, pendingQuotaNotices, stampAccessRequests, stampQuotaRequests } =
  proxyActivities<OnboardingActivities>(SHEET_NOTICES);

export interface CheckRequestsResult {
  tickets: number;
  waitingForApproval: number;
}

/**
 * Run by its schedule (the original's hourly check-approved-requests): one helpdesk ticket per
 * approved request not yet "Helpdesk Notified", and one digest to the approvers of the requests
 * waiting too long, each stamped once its mail is sent.
 */
export async function checkRequests({
  startText,
}: {
  startText: string;
}): Promise<CheckRequestsResult> {
  const at = new Date(Date.now()).toISOString(); // workflow time: a retried stamp is the same
  const result: CheckRequestsResult = { tickets: 0, waitingForApproval: 0 };
  const sheets = [
    { type: 'access', pending: pendingAccessNotices, stamp: stampAccessRequests },
    { type: 'quota', pending: pendingQuotaNotices, stamp: stampQuotaRequests },
  ] as const;
  for (const sheet of sheets) {
    const due: DueNotices = await sheet.pending();
    for (const row of due.tickets) {
      await sendMail({
        to: '',
        audience: 'helpdesk',
        fullName: `${row.firstName} ${row.lastName}`.trim(),
        username: row.email,
        project: row.project,
        template: 'helpdesk-ticket',
        values: {
          USER_NAME: row.email,
          FIRST_NAME: row.firstName,
          LAST_NAME: row.lastName,
          CSR_TYPE: row.requestType,
          COMMENT: row.comment,
        },
        // One ticket per request: a resend after a crash carries the same Message-ID.
        messageKey: `ticket.${row.key}`,
      });
    }
    const stamp = (column: StampInput['column'], keys: string[]) =>
      keys.length > 0 ? sheet.stamp({ column, keys, at }) : Promise.resolve();
    await stamp(
      'helpdeskNotified',
      due.tickets.map((r) => r.key),
    );
    result.tickets += due.tickets.length;

    if (due.digest.length > 0) {
      await sendMail({
        to: '',
        audience: 'approvers',
        fullName: 'approvers',
        project: '',
        template: 'approver-digest',
        values: {
          REQUEST_COUNT: String(due.digest.length),
          REQUEST_TYPE: sheet.type,
          START: startText,
          REQUEST_SPREADSHEET: due.sheetLink,
          REQUEST_DETAILS: due.digest.map(digestLine).join('\n'),
        },
        messageKey: `digest.${sheet.type}.${at}`,
      });
      await stamp(
        'reminderSent',
        due.digest.map((r) => r.key),
      );
      result.waitingForApproval += due.digest.length;
    }
  }
  return result;
}
