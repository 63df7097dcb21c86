// Every activity the worker registers, built over the process's clients and typed against the
// contract the workflows see (shared/activity-contracts.ts).
import type { WorkflowHandle } from '@temporalio/client';
import {
  createFormRequestActivities,
  createIntakeActivities,
  createMailActivities,
  createOpenStackActivities,
  createQuotaActivities,
  createQuotaIntakeActivities,
  createSetpassActivities,
} from '../activities';
import { loadTemplates } from '../mail/render';
import { StartRefused, type StartResult } from '../activities/sheets/keyed-tab';
import { formatDuration } from '../config/duration';
import type { Config } from '../config/schema';
import { startRefusal } from '../lib/temporal';
import type { OnboardingActivities } from '../shared/activity-contracts';
import { quotaWorkflowId } from '../shared/quota-change';
import type { QuotaValues } from '../shared/quota-keys';
import {
  quotaSheetSourceFromConfig,
  sheetLink,
  sheetSourceFromConfig,
} from '../wiring/sheet-source-from-config';
import { registrationFromRequest, startOnboarding } from '../wiring/start-onboarding';
import { quotaChangeFromRequest, startQuotaChange } from '../wiring/start-quota-change';
import type { WorkerClients } from './clients';

/** A start refused because the workflow exists: is it still running, or did it run before? */
async function runningOrEnded(handle: WorkflowHandle): Promise<'already' | 'ended'> {
  const { status } = await handle.describe();
  return status.name === 'RUNNING' ? 'already' : 'ended';
}

/** A row Temporal refuses to start is that row's problem, not the whole poll's. */
async function refusedPerRow(start: () => Promise<StartResult>): Promise<StartResult> {
  try {
    return await start();
  } catch (err) {
    const refusal = startRefusal(err);
    if (refusal !== undefined) throw new StartRefused(refusal);
    throw err;
  }
}

export function createActivities(
  config: Config,
  { keystone, transport, temporal }: Pick<WorkerClients, 'keystone' | 'transport' | 'temporal'>,
): OnboardingActivities {
  const defaults = config.email_defaults;
  const notices = {
    tickets: config.helpdesk.email !== '',
    digest: config.approvers.email !== '',
    startMs: config.approvers.start,
    intervalMs: config.approvers.interval,
  };
  // One source per sheet, so the poll's writes and a form's new row share one writer.
  const accessSource = sheetSourceFromConfig(config);
  const quotaSource = quotaSheetSourceFromConfig(config);
  return {
    ...createFormRequestActivities({
      access: {
        source: accessSource,
        tab: config.intake.access_tab,
        mapping: config.columns,
      },
      quota: quotaSource && {
        source: quotaSource,
        tab: config.quota_sheet.requests_tab,
        mapping: config.quota_columns,
      },
    }),
    ...createIntakeActivities({
      source: accessSource,
      mapping: config.columns,
      accessTab: config.intake.access_tab,
      currentUsersTab: config.intake.current_users_tab,
      notices,
      sheetLink: sheetLink(config, 'access'),
      start: (request) =>
        refusedPerRow(async () => {
          const started = await startOnboarding(
            await temporal(),
            config,
            registrationFromRequest(request),
          );
          return started.alreadyRunning ? runningOrEnded(started.handle) : 'started';
        }),
    }),
    ...createQuotaIntakeActivities({
      source: quotaSource,
      mapping: config.quota_columns,
      requestsTab: config.quota_sheet.requests_tab,
      processedTab: config.quota_sheet.processed_tab,
      notices,
      sheetLink: sheetLink(config, 'quota'),
      start: (request) =>
        refusedPerRow(async () => {
          const client = await temporal();
          const change = quotaChangeFromRequest(request);
          const result = await startQuotaChange(client, config, change);
          if (result === 'started') return result;
          return runningOrEnded(client.workflow.getHandle(quotaWorkflowId(change)));
        }),
    }),
    ...createOpenStackActivities({
      keystone,
      domainId: config.auth.domain_id,
      memberRole: config.auth.member_role,
    }),
    ...createQuotaActivities({
      keystone,
      quotas: config.quotas as QuotaValues,
      endpointInterface: config.openstack.interface,
      region: config.openstack.region,
    }),
    ...createSetpassActivities({
      keystone,
      domainId: config.auth.domain_id,
      setpassUrl: config.setpass.setpass_url,
      timeoutMs: config.auth.request_timeout,
    }),
    ...createMailActivities({
      transport,
      sendTimeoutMs: config.mail.send_timeout,
      templates: loadTemplates(config.mail.templates_dir),
      settings: {
        sender: defaults.sender,
        adminEmail: defaults.admin_email,
        approversEmail: config.approvers.email,
        helpdeskEmail: config.helpdesk.email,
        helpdeskPriority: config.helpdesk.priority,
        helpdeskQueue: config.helpdesk.queue,
        operatorName: defaults.operator_name,
        supportEmail: defaults.support_email,
        loginUrl: defaults.login_url,
        termsUrl: defaults.terms_url,
        gettingStartedUrl: defaults.getting_started_url,
        passwordResetFormUrl: defaults.password_reset_form_url,
        setpassUrl: config.setpass.setpass_url,
        tokenExpiration: formatDuration(config.setpass.token_expiration),
        confirmWithin: formatDuration(config.forms.confirm_within),
      },
    }),
  };
}
