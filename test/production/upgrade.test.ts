// Production-like upgrade: onboardings parked by the last release's workers and API (run from a
// git worktree of it) are finished by today's, after a rolling restart onto the same task queue
// and setpass database. A history today's workflow code cannot replay fails a workflow task here.
import assert from 'node:assert/strict';

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../config/schema';
import { startOnboarding } from '../../wiring/start-onboarding';
import { connectClient } from '../../lib/temporal';
import { onboardingWorkflowId, statusQuery, type Registration } from '../../shared/onboarding';
import type { onboardUser } from '../../workflows';
import { setPasswordFromMail } from '../support/forms';
import { git, RELEASE, releaseCommit } from '../support/release';
import { fullTemporalAddress, startFullTemporal } from '../support/full-temporal';
import { freePort, startProcess, type RunningProcess } from '../support/processes';
import { eventually, keystoneLogin, testConfig, uniqueName } from '../support/services';

const ROOT = resolve(__dirname, '..', '..');
const PIN = '4711';
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };
const PARKED = 4;
const WORKER_READY = /worker polling task queue/;
const API_READY = /setpass API listening/;
const TASK_FAILED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;

describe(`production-like upgrade from ${RELEASE}: workers rolled while onboardings wait`, () => {
  const temp = mkdtempSync(join(tmpdir(), 'kaizen-upgrade-'));
  const old = join(temp, 'src');
  let release: { commit: string; from: string };
  let worktree = false;
  let env: Record<string, string>;
  let config: Config;
  let client: Client | undefined;
  let api: RunningProcess | undefined;
  const workers: RunningProcess[] = [];
  const handles: WorkflowHandle<typeof onboardUser>[] = [];
  const start = (script: string, ready: RegExp, cwd: string) =>
    startProcess(script, env, ready, [], { cwd });

  before(async () => {
    release = releaseCommit();
    git('worktree', 'add', '--detach', old, release.commit);
    worktree = true;
    symlinkSync(join(ROOT, 'node_modules'), join(old, 'node_modules'));
    startFullTemporal();
    const apiPort = await freePort();
    env = {
      KAIZEN_TEMPORAL__ADDRESS: fullTemporalAddress(),
      KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('upgrade'),
      // Each version bundles its own workflow code, never a prebuilt bundle of another.
      KAIZEN_TEMPORAL__WORKFLOW_BUNDLE: '',
      KAIZEN_SETPASS__PORT: String(apiPort),
      KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
      KAIZEN_SETPASS__DATABASE: join(temp, 'setpass.sqlite'),
    };
    config = testConfig(env);
    // Relative KAIZEN_SETTINGS: each version reads its own example_settings.ini.
    api = await start('api/server.ts', API_READY, old);
    workers.push(await start('worker.ts', WORKER_READY, old));
    workers.push(await start('worker.ts', WORKER_READY, old));
    client = await connectClient(config);
  });
  after(async () => {
    // A failed run must not leave onboardings waiting on a queue nobody serves.
    await Promise.all(handles.map((h) => h.terminate('upgrade test over').catch(() => undefined)));
    await client?.connection.close();
    await Promise.all([...workers, api].map((p) => p?.stop('SIGTERM')));
    if (worktree) git('worktree', 'remove', '--force', old);
    rmSync(temp, { recursive: true, force: true });
  });

  async function onboard(): Promise<Registration> {
    const id = uniqueName('upgrade');
    const registration: Registration = {
      email: `${id}@example.org`,
      firstName: 'Up',
      lastName: 'Grade',
      project: `Proj-${id}`,
      pin: PIN,
    };
    await startOnboarding(client!, config, registration, { reminders: PATIENT });
    handles.push(
      client!.workflow.getHandle<typeof onboardUser>(onboardingWorkflowId(registration)),
    );
    return registration;
  }

  const allWaiting = () =>
    eventually(
      'every onboarding to wait for its password',
      async () => {
        // Settled: a query still in flight when the connection closes throws uncaught.
        const answers = await Promise.allSettled(handles.map((h) => h.query(statusQuery)));
        const steps = answers.map((a) => {
          if (a.status === 'rejected') throw a.reason;
          return a.value.step;
        });
        return steps.every((s) => s === 'waiting-for-password') ? true : undefined;
      },
      120_000,
    );

  /** Its outcome once closed; a failed workflow task (non-determinism) fails at once. */
  const outcome = (handle: WorkflowHandle<typeof onboardUser>) =>
    eventually(
      `${handle.workflowId} to close`,
      async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const failed = events.find((e) => e.eventType === TASK_FAILED);
        if (failed) {
          const failure = failed.workflowTaskFailedEventAttributes?.failure?.message;
          throw new Error(`${handle.workflowId}: a workflow task failed: ${failure}`);
        }
        if ((await handle.describe()).status.name === 'RUNNING') return undefined;
        return (await handle.result()).outcome;
      },
      120_000,
    );

  test('onboardings parked by the release complete on today’s workers and API', async (t) => {
    t.diagnostic(`from ${release.from} (${release.commit.slice(0, 12)}) to the working tree`);
    const registrations: Registration[] = [];
    for (let i = 0; i < PARKED; i++) registrations.push(await onboard());
    await allWaiting();
    t.diagnostic(`${PARKED} onboardings wait for their password on the old workers`);

    // One worker at a time, as a rolling deploy does: the queue is never without a poller.
    for (let i = 0; i < workers.length; i++) {
      await workers[i]!.stop('SIGTERM');
      workers[i] = await start('worker.ts', WORKER_READY, ROOT);
      t.diagnostic(`worker ${i + 1} of ${workers.length} rolled to today's code`);
    }
    // The mailed links point at this port: today's API takes it over, with the same database.
    await api!.stop('SIGTERM');
    api = await start('api/server.ts', API_READY, ROOT);
    t.diagnostic("setpass API rolled to today's code");

    registrations.push(await onboard()); // one that runs on today's code only
    await allWaiting();
    for (const r of registrations) {
      const password = `Upgrade-${randomUUID()}`;
      const answer = await setPasswordFromMail(r.email, PIN, password);
      assert.equal(answer.status, 200, answer.text);
      assert.equal((await keystoneLogin(config, r.email, password)).status, 201);
    }
    for (const handle of handles) assert.equal(await outcome(handle), 'completed');
  });
});
