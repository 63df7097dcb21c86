// What the fault scenarios share: the system as operators run it (the setpass API and workers
// as processes that can be killed), onboardings taken to completion by people setting their
// password from the mailed link, and the checks that nothing was lost or done twice.
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { startOnboarding } from '../../wiring/start-onboarding';
import { connectClient } from '../../lib/temporal';
import { writeWorkflowBundle } from '../../lib/workflow-bundle';
import { onboardingWorkflowId, statusQuery, type Registration } from '../../shared/onboarding';
import type { onboardUser } from '../../workflows';
import { setPasswordFromMail } from '../support/forms';
import { freePort, startProcess, type RunningProcess } from '../support/processes';
import { eventually, keystoneLogin, mailsTo, testConfig, uniqueName } from '../support/services';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const PATIENT = {
  afterMs: [86_400_000],
  abandonAfterMs: 172_800_000,
  linkLifetimeMs: 172_800_000,
};

export interface Stack {
  env: Record<string, string>;
  config: Config;
  client: Client;
  api: RunningProcess;
  workers: RunningProcess[];
  /** Everything every worker incarnation wrote (killed ones included). */
  workerLogs(): string;
  startWorker(): Promise<RunningProcess>;
  close(): Promise<void>;
}

// Bundled once per suite run, as the Docker image does: restarted workers start in seconds.
let bundle: Promise<string> | undefined;
const workflowBundle = () =>
  (bundle ??= (async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kaizen-bundle-')), 'workflows.js');
    await writeWorkflowBundle(file);
    return file;
  })());

export async function startStack(extra: Record<string, string> = {}): Promise<Stack> {
  const apiPort = await freePort();
  const env: Record<string, string> = {
    KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('reliability'),
    KAIZEN_SETPASS__PORT: String(apiPort),
    KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
    KAIZEN_SETPASS__DATABASE: join(mkdtempSync(join(tmpdir(), 'kaizen-faults-')), 'setpass.sqlite'),
    KAIZEN_SETPASS__RATE_LIMIT: '100000',
    KAIZEN_TEMPORAL__WORKFLOW_BUNDLE: await workflowBundle(),
    ...extra,
  };
  const config = testConfig(env);
  const api = await startProcess('api/server.ts', env, /setpass API listening/);
  const workers: RunningProcess[] = [];
  const startWorker = async () => {
    const worker = await startProcess('worker.ts', env, /worker polling task queue/);
    workers.push(worker);
    return worker;
  };
  await startWorker();
  const client = await connectClient(config);
  return {
    env,
    config,
    client,
    api,
    workers,
    workerLogs: () => workers.map((w) => w.output()).join('\n'),
    startWorker,
    async close() {
      // Onboardings a failed run left waiting would otherwise sit on a queue nobody serves.
      for await (const w of client.workflow.list({
        query: `TaskQueue = "${env.KAIZEN_TEMPORAL__TASK_QUEUE}" AND ExecutionStatus = "Running"`,
      })) {
        await client.workflow
          .getHandle(w.workflowId)
          .terminate('reliability run over')
          .catch(() => undefined);
      }
      await client.connection.close();
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
      await api.stop('SIGTERM');
    },
  };
}

export function people(n: number, prefix: string): Registration[] {
  return Array.from({ length: n }, () => {
    const id = uniqueName(prefix);
    return {
      email: `${id}@example.org`,
      firstName: 'Reli',
      lastName: 'Ability',
      project: `Proj-${id}`,
      pin: String(randomInt(1000, 10000)),
    };
  });
}

export async function startAll(stack: Stack, registrations: Registration[]): Promise<void> {
  for (const r of registrations) {
    await startOnboarding(stack.client, stack.config, r, { reminders: PATIENT });
  }
}

/** Every onboarding reaches its password wait, then its person sets the password: completed. */
export async function completeAll(
  stack: Stack,
  registrations: Registration[],
  timeoutMs: number,
): Promise<{ completed: number }> {
  const handles = registrations.map((r) =>
    stack.client.workflow.getHandle<typeof onboardUser>(onboardingWorkflowId(r)),
  );
  await eventually(
    'every onboarding to wait for its password',
    async () => {
      // A query fails while the workflow's worker was just killed: ask again later.
      const steps = await Promise.all(
        handles.map((h) =>
          h.query(statusQuery).then(
            (s) => s.step,
            () => 'unknown',
          ),
        ),
      );
      return steps.every((s) => s === 'waiting-for-password') ? true : undefined;
    },
    timeoutMs,
  );
  let completed = 0;
  for (const [i, r] of registrations.entries()) {
    const password = `Rel-${randomUUID()}`;
    const answer = await setPasswordFromMail(r.email, r.pin!, password);
    if (answer.status !== 200)
      throw new Error(`${r.email}: set-password answered ${answer.status}`);
    const login = await keystoneLogin(stack.config, r.email, password);
    if (login.status !== 201)
      throw new Error(`${r.email}: Keystone login answered ${login.status}`);
    if ((await handles[i]!.result()).outcome === 'completed') completed += 1;
  }
  return { completed };
}

export interface Duplicates {
  /** Projects, users or role assignments beyond one per person. */
  keystone: number;
  /** People missing the welcome or set-password mail. */
  lost: number;
  /** Deliveries of a Message-ID already delivered (allowed only in a crash window). */
  mails: number;
}

/** One project, one user, one role assignment per person; two distinct mails each. */
export async function countDuplicates(
  config: Config,
  registrations: Registration[],
): Promise<Duplicates> {
  const keystone = keystoneFromConfig(config);
  const found: Duplicates = { keystone: 0, lost: 0, mails: 0 };
  for (const r of registrations) {
    const { projects } = (
      await keystone.request('GET', `/projects?name=${encodeURIComponent(r.project)}`)
    ).json<{ projects: { id: string }[] }>();
    const { users } = (
      await keystone.request('GET', `/users?name=${encodeURIComponent(r.email)}`)
    ).json<{ users: { id: string }[] }>();
    found.keystone += Math.max(0, projects.length - 1) + Math.max(0, users.length - 1);
    if (projects[0] && users[0]) {
      const query = new URLSearchParams({
        'user.id': users[0].id,
        'scope.project.id': projects[0].id,
      });
      const { role_assignments } = (
        await keystone.request('GET', `/role_assignments?${query}`)
      ).json<{ role_assignments: unknown[] }>();
      found.keystone += Math.max(0, role_assignments.length - 1);
    }
    const mails = await mailsTo(r.email);
    const ids = new Set(mails.map((m) => m.MessageID));
    found.lost += Math.max(0, 2 - ids.size);
    found.mails += mails.length - ids.size;
  }
  return found;
}

/** Stops or starts one local service through scripts/services.sh. */
export function service(action: 'stop' | 'start', name: string): void {
  execFileSync('scripts/services.sh', [action, name], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Lines of `log` matching `pattern`: what the worker said it retried. */
export const linesMatching = (log: string, pattern: RegExp) =>
  log.split('\n').filter((line) => pattern.test(line));
