import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { SERVICE_CALL, SHEET_POLL } from '../shared/activity-policies';
import type { OnboardingActivities, PollReport } from '../shared/activity-contracts';

const { pollAccessSheet, pollQuotaSheet } = proxyActivities<OnboardingActivities>(SHEET_POLL);
const { sendMail } = proxyActivities<OnboardingActivities>(SERVICE_CALL);

export interface PollRegistrationsResult extends PollReport {
  /** The quota sheet's poll; null when no quota sheet is configured. */
  quotas: PollReport | null;
}

/**
 * Run by the poller schedule: one read of the access sheet and one of the quota sheet, one
 * workflow started per new approved row; the admins hear of rows that cannot be processed.
 */
export async function pollRegistrations(): Promise<PollRegistrationsResult> {
  // One sheet failing (unshared, a missing tab) does not keep the other's requests waiting.
  const [access, quotas] = await Promise.allSettled([pollAccessSheet(), pollQuotaSheet()]);
  if (access.status === 'fulfilled')
    await tellAdmins('the access sheet', access.value.newlyInvalid);
  if (quotas.status === 'fulfilled')
    await tellAdmins('the quota sheet', quotas.value?.newlyInvalid ?? []);
  if (access.status === 'rejected') throw access.reason;
  if (quotas.status === 'rejected') throw quotas.reason;
  return { ...access.value, quotas: quotas.value };
}

/** One mail per poll and sheet, however many rows: a thousand bad rows are not a thousand mails. */
async function tellAdmins(sheet: string, problems: string[]): Promise<void> {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 50).map((p) => `  - ${p}`);
  if (problems.length > 50) shown.push(`  … and ${problems.length - 50} more`);
  await sendMail({
    to: '',
    audience: 'admins',
    fullName: 'admins',
    project: sheet,
    template: 'invalid-requests',
    reason: shown.join('\n'),
    messageKey: `${workflowInfo().workflowId}.${workflowInfo().runId}.invalid.${sheet.replace(/\W+/g, '-')}`,
  });
}
