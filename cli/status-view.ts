// What `cli status` prints: one workflow as an admin may see it in the Web UI through the codec
// endpoint (summary, details in words, the decoded input with every secret redacted).
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { onboardingDetails } from '../shared/onboarding-details';
import { statusQuery, type OnboardingStatus } from '../shared/onboarding';
import { quotaStatusQuery } from '../shared/quota-change';
import { requestStatusQuery } from '../shared/form-request-contract';
import { redactSecrets } from '../shared/secret-fields';

/**
 * One workflow as an admin may see it: summary, current details, the decoded input with every
 * secret field redacted (the codec endpoint's view), and its status query.
 */
export async function statusView(client: Client, workflowId: string): Promise<object> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = await decodeArrayFromPayloads(
    client.workflow.options.loadedDataConverter,
    started?.input?.payloads,
  );
  const running = description.status.name === 'RUNNING';
  const metadata = running
    ? await handle
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
        .catch(() => undefined)
    : undefined;
  const state = running
    ? await (
        workflowId.startsWith('quota:')
          ? handle.query(quotaStatusQuery)
          : workflowId.startsWith('onboard:')
            ? handle.query(statusQuery)
            : workflowId.startsWith('request:')
              ? handle.query(requestStatusQuery)
              : Promise.resolve(undefined)
      ).catch(() => undefined)
    : undefined;
  // A closed workflow is not queried here: a failed one's failure says where and why.
  const failed = history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
  return redactSecrets({
    workflowId,
    type: description.type,
    execution: description.status.name,
    started: description.startTime.toISOString(),
    closed: description.closeTime?.toISOString(),
    failure: failed
      ? { type: failed.applicationFailureInfo?.type ?? undefined, message: failed.message }
      : undefined,
    summary: await description.staticSummary(),
    details:
      metadata?.currentDetails ??
      (state && 'remindersSent' in state
        ? onboardingDetails(state as OnboardingStatus, workflowId)
        : undefined),
    input,
    status: state,
  }) as object;
}
