import {
  ApplicationFailure,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../shared/failures';
import { SERVICE_CALL, SHEET_WRITE } from '../shared/activity-policies';
import type { OnboardingActivities } from '../shared/activity-contracts';
import { searchAttributes } from '../shared/onboarding';
import { shortTime } from '../shared/onboarding-details';
import {
  formatQuotaTable,
  keysToRead,
  planQuotaChange,
  planValues,
  quotaStatusQuery,
  type QuotaStatus,
  type QuotaStep,
  type UpdateQuotaInput,
} from '../shared/quota-change';

const { findProject, projectMembers, readQuotas, sendMail, setQuotas } =
  proxyActivities<OnboardingActivities>(SERVICE_CALL);
const { markQuotaRequest, moveToProcessedRequests } =
  proxyActivities<OnboardingActivities>(SHEET_WRITE);

/**
 * One approved quota request: read the current quotas, apply the change (all of it or none of
 * it), tell the requester and the members, and for a temporary change revert at its end date.
 */
export async function updateQuota({
  request,
  revertNoticeMs,
}: UpdateQuotaInput): Promise<QuotaStatus> {
  const { workflowId } = workflowInfo();
  const status: QuotaStatus = { step: 'started', project: request.project, changes: [] };
  if (request.endsAt) status.endsAt = request.endsAt;
  const setStep = (step: QuotaStep) => {
    status.step = step;
    upsertSearchAttributes([{ key: searchAttributes.step, value: `quota:${step}` }]);
    const ends = status.endsAt ? `; reverts at ${shortTime(status.endsAt)}` : '';
    setCurrentDetails(
      `**Step:** ${step.replace(/-/g, ' ')}\n\n**Project:** ${request.project}, asked by ${request.email}${ends}`,
    );
  };
  setHandler(quotaStatusQuery, () => status);
  const mail = {
    to: request.email,
    fullName: request.fullName,
    username: request.email,
    project: request.project,
  };
  const endDate = request.endsAt
    ? request.endsAt.replace('T', ' ').replace(/:00\.000Z$/, ' UTC')
    : 'no end date (a permanent change)';

  let projectId: string;
  // Set when putting back a refused change fails too: the failure names both, original first.
  let rollbackFailure: unknown;
  try {
    setStep('finding-project');
    projectId = await findProject({ name: request.project });
    status.projectId = projectId;
    setStep('reading-quotas');
    const current = await readQuotas({ projectId, keys: keysToRead(request.changes) });
    status.changes = planQuotaChange(current, request.changes);

    setStep('applying-quotas');
    try {
      await setQuotas({ projectId, values: planValues(status.changes, 'forward') });
    } catch (err) {
      // A service refused part of it: put back what the others took, so nothing stays half-applied.
      try {
        await setQuotas({ projectId, values: planValues(status.changes, 'revert') });
      } catch (rollbackErr) {
        rollbackFailure = rollbackErr;
      }
      throw err;
    }
  } catch (err) {
    setStep('failed');
    let reason = failureReason(err);
    if (rollbackFailure !== undefined)
      reason += `; rolling back also failed: ${failureReason(rollbackFailure)}`;
    if (request.sheetKey) {
      await markQuotaRequest({ key: request.sheetKey, status: `failed: ${reason}` });
      await sendMail({
        ...mail,
        to: '',
        audience: 'admins',
        template: 'quota-request-failed',
        reason,
        messageKey: `${workflowId}.${workflowInfo().runId}.failed`,
      });
    }
    throw ApplicationFailure.create({
      message: `quota request of ${request.email} for ${request.project} failed: ${reason}`,
      type: FailureType.quotaRequestFailed,
      nonRetryable: true,
      cause: err as Error,
    });
  }

  setStep('sending-mail');
  const members = await projectMembers({ projectId });
  const table = formatQuotaTable(status.changes);
  await sendMail({
    ...mail,
    cc: members,
    template: 'quota-change',
    quotaList: table,
    endDate,
    messageKey: `${workflowId}.changed`,
  });
  if (request.sheetKey) await moveToProcessedRequests({ key: request.sheetKey });

  if (request.endsAt && status.changes.length > 0) {
    setStep('waiting-to-revert');
    const endsAtMs = Date.parse(request.endsAt);
    const revertTable = formatQuotaTable(
      status.changes.map((c) => ({ key: c.key, old: c.new, new: c.old })),
    );
    // Workflow time is deterministic: Date.now() is the time of the current workflow task.
    const noticeInMs = endsAtMs - revertNoticeMs - Date.now();
    if (noticeInMs > 0) {
      await sleep(noticeInMs);
      await sendMail({
        ...mail,
        cc: await projectMembers({ projectId }),
        template: 'quota-revert-notice',
        quotaList: revertTable,
        endDate,
        messageKey: `${workflowId}.revert-notice`,
      });
    }
    const endsInMs = endsAtMs - Date.now();
    if (endsInMs > 0) await sleep(endsInMs);
    setStep('reverting');
    await setQuotas({ projectId, values: planValues(status.changes, 'revert') });
    status.revertedAt = new Date(Date.now()).toISOString();
    await sendMail({
      ...mail,
      cc: await projectMembers({ projectId }),
      template: 'quota-reverted',
      quotaList: revertTable,
      endDate,
      messageKey: `${workflowId}.reverted`,
    });
  }
  setStep('completed');
  return status;
}

function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}
