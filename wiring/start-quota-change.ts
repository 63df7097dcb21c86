import { quotaSummary } from '../shared/quota-change';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import type { QuotaRequest } from '../intake/quota-rows';
import { searchAttributes } from '../shared/onboarding';
import {
  quotaWorkflowId,
  type QuotaChangeRequest,
  type UpdateQuotaInput,
} from '../shared/quota-change';
import type { updateQuota } from '../workflows';

/** Starts one quota change; a second start of the same sheet row is a no-op ('already'). */
export async function startQuotaChange(
  client: Client,
  config: Config,
  request: QuotaChangeRequest,
  taskQueue = config.temporal.task_queue,
): Promise<'started' | 'already'> {
  const input: UpdateQuotaInput = { request, revertNoticeMs: config.quota_sheet.revert_notice };
  try {
    await client.workflow.start<typeof updateQuota>('updateQuota', {
      workflowId: quotaWorkflowId(request),
      taskQueue,
      args: [input],
      // Like onboarding: a row runs once, and again only after it failed and its Status was cleared.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: quotaSummary(request),
      typedSearchAttributes: [
        { key: searchAttributes.user, value: request.email },
        { key: searchAttributes.project, value: request.project },
        { key: searchAttributes.step, value: 'quota:started' },
      ],
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already';
    throw err;
  }
}

/** The change a quota-sheet row asks for. */
export function quotaChangeFromRequest(request: QuotaRequest): QuotaChangeRequest {
  return {
    email: request.email,
    fullName: `${request.firstName} ${request.lastName}`.trim() || request.email,
    project: request.project,
    changes: request.changes,
    ...(request.endsAt ? { endsAt: request.endsAt } : {}),
    sheetKey: request.key,
  };
}
