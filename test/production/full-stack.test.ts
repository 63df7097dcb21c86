// Production-like, without Docker: the full Temporal server on PostgreSQL (not the dev server),
// two worker processes and the setpass API as a process, on the real Keystone and Mailpit.
// A worker is killed mid-run and the Temporal server is restarted mid-run: every onboarding in
// flight completes, with no duplicate project, user or role and each mail sent once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { startOnboarding } from '../../wiring/start-onboarding';
import { connectClient } from '../../lib/temporal';
import { onboardingWorkflowId, statusQuery, type Registration } from '../../shared/onboarding';
import type { onboardUser } from '../../workflows';
import { setPasswordFromMail } from '../support/forms';
import {
  fullTemporalAddress,
  restartFullTemporal,
  startFullTemporal,
} from '../support/full-temporal';
import { freePort, startProcess, type RunningProcess } from '../support/processes';
import { eventually, keystoneLogin, mailsTo, testConfig, uniqueName } from '../support/services';

const PIN = '4711';
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };
// A killed worker's activities move on after their 5 s heartbeat timeout; a generous bound.
const IN_FLIGHT_TIMEOUT = 300_000;

describe('production-like: full Temporal on PostgreSQL, two workers and the API as processes', () => {
  let env: Record<string, string>;
  let config: Config;
  let client: Client;
  let api: RunningProcess;
  const workers: RunningProcess[] = [];
  const startWorker = async () => {
    workers.push(await startProcess('worker.ts', env, /worker polling task queue/));
  };

  before(async () => {
    startFullTemporal();
    const apiPort = await freePort();
    env = {
      KAIZEN_TEMPORAL__ADDRESS: fullTemporalAddress(),
      KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('production'),
      KAIZEN_SETPASS__PORT: String(apiPort),
      KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
      KAIZEN_SETPASS__DATABASE: join(mkdtempSync(join(tmpdir(), 'kaizen-prod-')), 'setpass.sqlite'),
    };
    config = testConfig(env);
    api = await startProcess('api/server.ts', env, /setpass API listening/);
    await startWorker();
    await startWorker();
    client = await connectClient(config);
  });
  after(async () => {
    await client?.connection.close();
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await api?.stop('SIGTERM');
  });

  const registration = (): Registration => {
    const id = uniqueName('prod');
    return {
      email: `${id}@example.org`,
      firstName: 'Pro',
      lastName: 'Duction',
      project: `Proj-${id}`,
      pin: PIN,
    };
  };

  /** Every onboarding waits for its password, then gets it from its mailed link, and completes. */
  async function completeAll(registrations: Registration[]): Promise<void> {
    const handles = registrations.map((r) =>
      client.workflow.getHandle<typeof onboardUser>(onboardingWorkflowId(r)),
    );
    await eventually(
      'every onboarding to wait for its password',
      async () => {
        const steps = await Promise.all(
          handles.map((h) => h.query(statusQuery).then((s) => s.step)),
        );
        return steps.every((s) => s === 'waiting-for-password') ? true : undefined;
      },
      IN_FLIGHT_TIMEOUT,
    );
    for (const r of registrations) {
      const password = `Prod-${randomUUID()}`;
      const answer = await setPasswordFromMail(r.email, PIN, password);
      assert.equal(answer.status, 200, answer.text);
      assert.equal((await keystoneLogin(config, r.email, password)).status, 201);
    }
    for (const handle of handles) {
      assert.equal((await handle.result()).outcome, 'completed');
    }
  }

  /** One project, one user, one role assignment, and each mail once (by Message-ID). */
  async function assertNoDuplicates(registrations: Registration[]): Promise<void> {
    const keystone = keystoneFromConfig(config);
    for (const r of registrations) {
      const { projects } = (
        await keystone.request('GET', `/projects?name=${encodeURIComponent(r.project)}`)
      ).json<{ projects: { id: string }[] }>();
      assert.equal(projects.length, 1, `one project ${r.project}`);
      const user = (await keystone.findUserByName(r.email))!;
      const query = new URLSearchParams({
        'user.id': user.id,
        'scope.project.id': projects[0]!.id,
      });
      const { role_assignments } = (
        await keystone.request('GET', `/role_assignments?${query}`)
      ).json<{ role_assignments: unknown[] }>();
      assert.equal(role_assignments.length, 1, `one role for ${r.email}`);
      const mails = await mailsTo(r.email);
      const ids = new Set(mails.map((m) => m.MessageID));
      assert.equal(ids.size, 2, `welcome and link, each with its own Message-ID: ${mails.length}`);
    }
  }

  test('a worker killed mid-run: every onboarding completes, nothing twice', async (t) => {
    const registrations = Array.from({ length: 6 }, registration);
    for (const r of registrations) {
      await startOnboarding(client, config, r, { reminders: PATIENT });
    }
    // Kill a worker that is doing some of the work, while the rest is still in flight.
    const victim = workers[0]!;
    await eventually('the first worker to take part', async () =>
      /project created|user created/.test(victim.output()) ? true : undefined,
    );
    await victim.stop('SIGKILL');
    const count = (pattern: RegExp) => (victim.output().match(pattern) ?? []).length;
    t.diagnostic(
      `killed worker had created ${count(/project created/g)} projects, ${count(/user created/g)} users, sent ${count(/mail sent/g)} mails`,
    );
    await completeAll(registrations);
    await assertNoDuplicates(registrations);
    await startWorker(); // two again for the next test
  });

  test('the Temporal server restarted mid-run: onboardings in flight complete', async () => {
    const registrations = Array.from({ length: 4 }, registration);
    for (const r of registrations) {
      await startOnboarding(client, config, r, { reminders: PATIENT });
    }
    restartFullTemporal();
    await completeAll(registrations);
    await assertNoDuplicates(registrations);
  });
});
