// The onboarding worker: builds every client from config once, registers the activities and
// runs the workflows. Run: npm run worker
import { existsSync, readFileSync } from 'node:fs';
import { Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  createIntakeActivities,
  createMailActivities,
  createOpenStackActivities,
  createQuotaActivities,
  createQuotaIntakeActivities,
  createSetpassActivities,
} from './activities';
import { loadTemplates } from './activities/mail/render';
import type { QuotaValues } from './shared/quota-keys';
import type { OnboardingActivities } from './shared/activities';
import { dataConverterFor } from './lib/encryption-codec';
import { StartRefused, type StartResult } from './activities/sheets/keyed-tab';
import { formatDuration } from './config/duration';
import { ConfigError, loadConfig } from './config/load';
import type { Config } from './config/schema';
import { keystoneFromConfig } from './wiring/keystone-from-config';
import {
  quotaSheetSourceFromConfig,
  sheetLink,
  sheetSourceFromConfig,
} from './wiring/sheet-source-from-config';
import { quotaChangeFromRequest, startQuotaChange } from './wiring/start-quota-change';
import { quotaWorkflowId } from './shared/quota-change';
import { registrationFromRequest, startOnboarding } from './wiring/start-onboarding';
import { heartbeatWhileRunning } from './lib/activity-heartbeat';
import { runEntry } from './lib/process-entry';
import { connectClient, connectWorkerConnection, startRefusal } from './lib/temporal';
import { verifyQuotaKeys } from './wiring/verify-quota-keys';

export function mailTransport({ mail }: Config): Transporter {
  return nodemailer.createTransport({
    host: mail.smtp_host,
    port: mail.smtp_port,
    secure: false,
    requireTLS: true, // never send a password link in the clear
    auth: mail.smtp_user ? { user: mail.smtp_user, pass: mail.smtp_password } : undefined,
    tls: mail.ca_file ? { ca: readFileSync(mail.ca_file) } : undefined,
    pool: true,
  });
}

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
  transport: Transporter,
  temporal: () => Promise<Client>,
): OnboardingActivities {
  const keystone = keystoneFromConfig(config);
  const defaults = config.email_defaults;
  const notices = {
    tickets: config.helpdesk.email !== '',
    digest: config.approvers.email !== '',
    startMs: config.approvers.start,
    intervalMs: config.approvers.interval,
  };
  return {
    ...createIntakeActivities({
      source: sheetSourceFromConfig(config),
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
      source: quotaSheetSourceFromConfig(config),
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
      },
    }),
  };
}

/** A refused key stops start-up; a service that cannot be asked now only earns a warning. */
async function checkQuotaKeys(config: Config): Promise<void> {
  try {
    await verifyQuotaKeys(config, keystoneFromConfig(config));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    console.warn(
      `could not check [quotas] against Nova, Cinder and Neutron (${err instanceof Error ? err.message : String(err)}); a refused key will fail the first new project instead`,
    );
  }
}

export interface OnboardingWorker {
  worker: Worker;
  /** Runs until worker.shutdown(), then closes the Temporal connection and the mail pool. */
  run(): Promise<void>;
  /** Runs until `work` settles, then shuts down and closes the same (tests). */
  runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export async function createWorker(
  config: Config,
  taskQueue = config.temporal.task_queue,
  /** A connection owned by the caller (e.g. a test server's); else one from config. */
  sharedConnection?: NativeConnection,
): Promise<OnboardingWorker> {
  await checkQuotaKeys(config);
  const bundle = config.temporal.workflow_bundle;
  if (bundle && !existsSync(bundle)) {
    throw new ConfigError([
      `[temporal] workflow_bundle: ${bundle} does not exist: run npm run bundle -- ${bundle}, or leave it empty`,
    ]);
  }
  const connection = sharedConnection ?? (await connectWorkerConnection(config));
  const transport = mailTransport(config);
  // The poller starts onboardings through a client of its own, made on first use.
  let client: Promise<Client> | undefined;
  const temporal = () => (client ??= connectClient(config));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    ...(bundle
      ? { workflowBundle: { codePath: bundle } }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(config, transport, temporal),
    dataConverter: dataConverterFor(config.secrets.codec_key, config.secrets.previous_codec_keys),
    maxConcurrentActivityTaskExecutions: config.temporal.max_concurrent_activities,
    interceptors: { activity: [heartbeatWhileRunning] },
    ...(config.temporal.max_cached_workflows > 0
      ? { maxCachedWorkflows: config.temporal.max_cached_workflows }
      : {}),
  });
  // Pooled SMTP sockets and connections would keep the process alive after the worker stops.
  const release = async () => {
    transport.close();
    if (!sharedConnection) await connection.close();
    await (await client?.catch(() => undefined))?.connection.close();
  };
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await release();
      }
    },
    async runUntil(work) {
      try {
        return await worker.runUntil(work);
      } finally {
        await release();
      }
    },
  };
}

async function run(): Promise<void> {
  const config = loadConfig();
  const metrics = config.temporal.metrics_address;
  // Before any connection exists: the runtime is made once per process. SIGINT/SIGTERM let the
  // running activities finish, then the worker stops.
  if (metrics)
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } });
  const { run: runWorker } = await createWorker(config);
  console.log(
    `worker polling task queue ${config.temporal.task_queue} on ${config.temporal.address} (namespace ${config.temporal.namespace})` +
      (metrics ? `; metrics on http://${metrics}/metrics` : ''),
  );
  await runWorker();
  console.log('worker stopped');
}

if (require.main === module) runEntry('worker', run);
