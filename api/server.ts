// The setpass API process. Run: npm run api
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { REQUESTABLE_QUOTAS } from '../intake/quota-rows';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { hasQuotaSheet } from '../wiring/sheet-source-from-config';
import { liveRequestableKeys } from '../wiring/verify-quota-keys';
import { closeHttpServer, runEntry, stopOnSignals } from '../lib/process-entry';
import { connectClient } from '../lib/temporal';
import { resetSummary, resetWorkflowId, type ResetPasswordInput } from '../shared/onboarding';
import {
  confirmRequestUpdate,
  formRequestWorkflowId,
  type RegistrationRequestInput,
} from '../shared/form-request-contract';
import { requestSubject, requestSummary } from '../shared/request-kinds';
import type { registrationRequest, resetPassword } from '../workflows';
import { createApp } from './app';
import type { FormRequestsDeps, ResetRequest } from './route-deps';
import { openTokenStore } from './open-token-store';
import { PasswordSetOutbox } from './password-set-outbox';
import { SecretBox } from './secrets';

type Log = (message: string, fields?: Record<string, unknown>) => void;

// Lines are written once per event-loop turn, not one write per line: under load a write per
// request cost more than the request itself. At most one turn's lines are lost in a crash.

let pendingLines: string[] = [];
function flushLog(): void {
  if (pendingLines.length === 0) return;
  process.stdout.write(pendingLines.join('\n') + '\n');
  pendingLines = [];
}
const jsonLog: Log = (message, fields) => {
  if (pendingLines.length === 0) setImmediate(flushLog);
  pendingLines.push(JSON.stringify({ time: new Date().toISOString(), message, ...fields }));
};

/** Connects on first use and again after a failure, so the API starts even while Temporal is down. */
function lazyClient(config: Config): { get(): Promise<Client>; close(): Promise<void> } {
  let client: Promise<Client> | undefined;
  return {
    get() {
      client ??= connectClient(config).catch((err: unknown) => {
        client = undefined;
        throw err;
      });
      return client;
    },
    async close() {
      const c = await client?.catch(() => undefined);
      await c?.connection.close();
    },
  };
}

const GRPC_NOT_FOUND = 5;

/**
 * A form request's input, from the first event of its workflow's history (decoded with the
 * client's codec): a read that changes nothing, unlike the Update. Undefined when there is none.
 */
async function requestInput(
  client: Client,
  requestId: string,
): Promise<RegistrationRequestInput | undefined> {
  let started;
  try {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: formRequestWorkflowId(requestId) },
      maximumPageSize: 1,
    });
    started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return undefined;
    throw err;
  }
  if (started?.workflowType?.name !== 'registrationRequest') return undefined;
  const [input] = await decodeArrayFromPayloads(
    client.options.loadedDataConverter,
    started.input?.payloads,
  );
  return input as RegistrationRequestInput | undefined;
}

/** Two SHA-256 hex digests compared in constant time. */
function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface RunningSetpass {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startSetpassServer(
  config: Config,
  options: { port?: number; log?: Log } = {},
): Promise<RunningSetpass> {
  const log = options.log ?? jsonLog;
  const temporal = lazyClient(config);
  const store = await openTokenStore(config.setpass.database);
  const outbox = new PasswordSetOutbox(store, () => temporal.get(), log);
  // Workflow starts the forms' answers do not wait for; closing the API does.
  const startsInFlight = new Set<Promise<void>>();
  const inFlight = (starting: Promise<void>): Promise<void> => {
    startsInFlight.add(starting);
    const forget = () => startsInFlight.delete(starting);
    void starting.then(forget, forget);
    return starting;
  };
  async function startResetWorkflow({ name, email, pin }: ResetRequest): Promise<void> {
    const client = await temporal.get();
    const input: ResetPasswordInput = {
      name,
      email,
      pin,
      approval: config.reset.approval as ResetPasswordInput['approval'],
      deniedRoles: config.reset.denied_roles,
      linkLifetimeMs: config.setpass.token_expiration,
    };
    await client.workflow.start<typeof resetPassword>('resetPassword', {
      workflowId: resetWorkflowId(email),
      taskQueue: config.temporal.task_queue,
      args: [input],
      // A second request while one is under way joins it: one link at a time.
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: resetSummary(email),
    });
  }
  const keystone = keystoneFromConfig(config);
  const forms: FormRequestsDeps = {
    register: config.forms.register,
    // The quota form writes to the quota sheet: without one, it is not offered.
    quotaRequest: config.forms.quota_request && hasQuotaSheet(config),
    confirmWithinMs: config.forms.confirm_within,
    requestsPerEmail: config.forms.requests_per_email,
    mailApprovers: config.approvers.mail_each_request,
    quotaKeys: liveRequestableKeys(config, keystone, REQUESTABLE_QUOTAS),
    start: (input) => inFlight(startRequestWorkflow(input)),
    async confirm(requestId, tokenHash) {
      const handle = (await temporal.get()).workflow.getHandle(formRequestWorkflowId(requestId));
      try {
        await handle.executeUpdate(confirmRequestUpdate, { args: [{ tokenHash }] });
        return 'confirmed';
      } catch (err) {
        // Refused by the workflow (wrong or used token), or the request has ended (expired).
        if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)
          return 'refused';
        throw err;
      }
    },
    async subject(requestId, tokenHash) {
      const input = await requestInput(await temporal.get(), requestId);
      // Only the holder of the mailed link learns whose request it is.
      if (!input || !sameHash(input.confirmTokenHash, tokenHash)) return undefined;
      return requestSubject(input.request);
    },
  };
  async function startRequestWorkflow(input: RegistrationRequestInput): Promise<void> {
    const client = await temporal.get();
    await client.workflow.start<typeof registrationRequest>('registrationRequest', {
      workflowId: formRequestWorkflowId(input.requestId),
      taskQueue: config.temporal.task_queue,
      args: [input],
      staticSummary: requestSummary(input.request),
    });
  }
  const app = createApp({
    forms,
    store,
    secrets: new SecretBox(
      config.secrets.setpass_key,
      config.secrets.previous_setpass_keys.map((key) => Buffer.from(key, 'base64')),
    ),
    keystone,
    onPasswordSet: () => outbox.wake(),
    startReset: (request) => inFlight(startResetWorkflow(request)),
    branding: {
      operatorName: config.email_defaults.operator_name,
      supportEmail: config.email_defaults.support_email,
      passwordResetFormUrl: config.email_defaults.password_reset_form_url,
    },
    tokenExpirationMs: config.setpass.token_expiration,
    maxAttempts: config.setpass.max_attempts,
    rateLimitPerMinute: config.setpass.rate_limit,
    tokenRateLimitPerMinute: config.setpass.token_rate_limit,
    trustProxy: config.setpass.trust_proxy,
    log,
  });
  const port = options.port ?? config.setpass.port;
  const server = app.listen(port, config.setpass.listen_host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  outbox.start();
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${config.setpass.listen_host}:${bound}/`,
    /**
     * Graceful: stops accepting, finishes requests in flight (each answer closes its
     * connection), then closes the store. A client still busy after the grace period is cut
     * off: a proxy's pooled connection must not keep the process alive.
     */
    async close() {
      await closeHttpServer(server);
      await Promise.allSettled([...startsInFlight]);
      await outbox.stop();
      await store.close();
      await temporal.close();
    },
  };
}

async function run(): Promise<void> {
  const config = loadConfig();
  const running = await startSetpassServer(config);
  jsonLog('setpass API listening', { url: running.url });
  stopOnSignals(() => running.close(), jsonLog, flushLog);
}

if (require.main === module) runEntry('setpass API', run, 'api');
