// Thousands of onboardings waiting for a password: what the worker and the Temporal server hold
// in memory, and how soon an onboarding completes once its person has set the password; and the
// CPU each process used to park them and to complete the samples.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { startOnboarding } from '../wiring/start-onboarding';
import { connectClient } from '../lib/temporal';
import { writeWorkflowBundle } from '../lib/workflow-bundle';
import { onboardingWorkflowId, type Registration } from '../shared/onboarding';
import type { onboardUser } from '../workflows';
import { setPasswordFromMail } from '../test/support/forms';
import { freePort, startProcess, type RunningProcess } from '../test/support/processes';
import { testConfig } from '../test/support/services';
import { machineNotes, throttled, type Progress } from './machine';
import { pool } from '../test/support/pool';
import { waitUntilParked } from './wait-parked';
import { quantile, type Table } from './table';
import { cpuTable, type CpuRun } from './cpu-table';
import { cpuSnapshot, cpuUsed, servicePids, type Parts } from './process-cpu';

const PIN = '2468';
/** Onboardings started together; the next batch starts once these wait for their password. */
const BATCH = Number(process.env.BENCH_PARKED_BATCH ?? 200);
/** Quiet time after the last onboarding parks: V8 gives back the garbage of the busy minutes. */
const SETTLE_MS = 60_000;
/** Node flags for the worker alone (say, heap limits), to try a tuning without a rebuild. */
const WORKER_FLAGS = process.env.BENCH_WORKER_NODE_OPTIONS;
const PATIENT = { afterMs: [86_400_000], abandonAfterMs: 172_800_000, linkLifetimeMs: 172_800_000 };

/** A field of /proc/<pid>/status in MB (Linux). */
function statusMb(pid: number, field: 'VmRSS' | 'RssAnon'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
/** Resident memory; its anonymous part is the heaps (V8's and malloc's), the rest mapped files. */
const rssMb = (pid: number) => statusMb(pid, 'VmRSS');
const anonMb = (pid: number) => statusMb(pid, 'RssAnon');

function temporalPid(): number {
  const state = process.env.KAIZEN_STATE_DIR ?? '.state';
  return Number(readFileSync(join(state, 'run', 'temporal.pid'), 'utf8').trim());
}

export async function benchParked(options: {
  quick: boolean;
  progress: Progress;
}): Promise<Table[]> {
  const n = Number(process.env.BENCH_PARKED ?? (options.quick ? 300 : 5_000));
  const samples = options.quick ? 20 : 100;
  const run = randomUUID().slice(0, 6);
  const apiPort = await freePort();
  const env: Record<string, string> = {
    KAIZEN_TEMPORAL__TASK_QUEUE: `bench-parked-${run}`,
    KAIZEN_SETPASS__PORT: String(apiPort),
    KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
    KAIZEN_SETPASS__DATABASE: join(mkdtempSync(join(tmpdir(), 'kaizen-parked-')), 'setpass.sqlite'),
    KAIZEN_SETPASS__RATE_LIMIT: '100000',
  };
  // As in production (the Docker image): the workflow code bundled ahead, not by the worker.
  const bundle = join(mkdtempSync(join(tmpdir(), 'kaizen-bundle-')), 'workflows.js');
  await writeWorkflowBundle(bundle);
  Object.assign(env, { KAIZEN_TEMPORAL__WORKFLOW_BUNDLE: bundle });
  const config = testConfig(env);
  const keystone = keystoneFromConfig(config);
  const project = `bench-parked-${run}`;
  await keystone.request('POST', '/projects', {
    project: { name: project, domain_id: config.auth.domain_id, enabled: true },
  });
  const people: Registration[] = Array.from({ length: n }, (_, i) => ({
    email: `parked-${run}-${i}@example.org`,
    firstName: 'Parked',
    lastName: `Person ${i}`,
    project,
    projectMode: 'existing',
    pin: PIN,
  }));
  let terminated = false;
  const terminateAll = async () => {
    await pool(people, 32, async (r) => {
      await client.workflow
        .getHandle(onboardingWorkflowId(r))
        .terminate('benchmark done')
        .catch(() => undefined);
    });
    terminated = true;
  };
  const processes: RunningProcess[] = [];
  const client = await connectClient(config);
  const rows: Table['rows'] = [];
  const cpu: CpuRun[] = [];
  try {
    const api = await startProcess('api/server.ts', env, /setpass API listening/);
    processes.push(api);
    const worker = await startProcess(
      'worker.ts',
      WORKER_FLAGS ? { ...env, NODE_OPTIONS: WORKER_FLAGS } : env,
      /worker polling task queue/,
    );
    processes.push(worker);
    const parts: Parts = {
      worker: worker.child.pid,
      api: api.child.pid,
      driver: process.pid,
      ...servicePids(),
    };
    const measure = () => ({
      worker: rssMb(worker.child.pid!),
      workerAnon: anonMb(worker.child.pid!),
      temporal: rssMb(temporalPid()),
    });
    const idle = measure();

    options.progress(
      `starting ${n} onboardings, ${BATCH} at a time (they join one project, so no quotas to set)`,
    );
    const parkingCpu = cpuSnapshot(parts);
    const parking = performance.now();
    // What a container limit must allow: the most the worker held while onboardings ran.
    let peak = idle.worker;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(worker.child.pid!))), 1000);
    // In batches, as registrations arrive: 5 000 started at once queue behind Keystone on a
    // small machine (1 047 parked in 19 minutes), and the run measures that queue, not parking.
    for (let from = 0; from < n; from += BATCH) {
      await pool(people.slice(from, from + BATCH), 16, async (r) => {
        await startOnboarding(client, config, r, { reminders: PATIENT });
      });
      const upTo = Math.min(n, from + BATCH);
      await waitUntilParked(client, env.KAIZEN_TEMPORAL__TASK_QUEUE!, upTo, {
        progress: options.progress,
      });
    }
    const parkSeconds = (performance.now() - parking) / 1000;
    cpu.push({ name: `park ${n}`, units: n, cpu: cpuUsed(parkingCpu, cpuSnapshot(parts)) });
    clearInterval(sampler);
    const parked = measure();
    options.progress(
      `${n} parked in ${parkSeconds.toFixed(0)} s; measuring again after ${SETTLE_MS / 1000} s with nothing to do`,
    );
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const settled = measure();
    options.progress(`setting ${samples} passwords`);

    const latencies: number[] = [];
    const samplesCpu = cpuSnapshot(parts);
    for (const r of people.slice(0, samples)) {
      const answer = await setPasswordFromMail(r.email, PIN, `Parked-${randomUUID()}`);
      if (answer.status !== 200) throw new Error(`setting a password answered ${answer.status}`);
      const set = performance.now();
      const result = await client.workflow
        .getHandle<typeof onboardUser>(onboardingWorkflowId(r))
        .result();
      latencies.push(performance.now() - set);
      if (result.outcome !== 'completed') throw new Error(`${r.email}: ${result.outcome}`);
    }
    cpu.push({
      name: `set ${samples} passwords → completed`,
      units: samples,
      cpu: cpuUsed(samplesCpu, cpuSnapshot(parts)),
    });
    const after = measure();
    options.progress('terminating the parked onboardings');
    await terminateAll();
    // Held for each parked workflow, or kept by the process once used? Measured with none left.
    await new Promise((r) => setTimeout(r, 10_000));
    const cleared = measure();
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    // One memory reading per column: before, (peak), parked, settled, after the samples, cleared.
    const memory = (label: string, of: keyof ReturnType<typeof measure>, peakMb: number | '') => [
      label,
      idle[of],
      peakMb,
      ...[parked, settled, after, cleared].map((m) => m[of]),
    ];
    rows.push(
      [...memory('worker RSS, MB', 'worker', peak), '< 400', verdict(settled.worker < 400)],
      [...memory('of which anonymous (heaps), MB', 'workerAnon', ''), '', ''],
      [...memory('Temporal dev server RSS, MB', 'temporal', ''), '', ''],
      [
        `password set → completed, ms (${samples} people)`,
        '',
        '',
        '',
        '',
        `p50 ${p50.toFixed(0)}, p99 ${p99.toFixed(0)}`,
        '',
        'p99 < 1000',
        verdict(p99 < 1000),
      ],
      [`time to park ${n}, s`, '', '', parkSeconds, '', '', '', '', ''],
    );
  } finally {
    options.progress('removing the users (and any onboarding still running)');
    if (!terminated) await terminateAll();
    await client.connection.close();
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    let removed = 0;
    const report = throttled(options.progress, 30_000);
    await pool(people, 8, async (r) => {
      const user = await keystone.findUserByName(r.email);
      if (user) await keystone.request('DELETE', `/users/${user.id}`, undefined, [404]);
      report(`${++removed} of ${n} users removed`);
    });
    const found = await keystone.findProjectByName(project);
    if (found) await keystone.request('DELETE', `/projects/${found.id}`, undefined, [404]);
  }
  const table: Table = {
    title: `Parked onboardings (${n} waiting for a password)`,
    columns: [
      'measure',
      'before',
      'peak while parking',
      `${n} parked`,
      `${SETTLE_MS / 1000} s later`,
      'after the samples',
      'all terminated',
      'target',
      'verdict',
    ],
    rows,
    notes: [
      `worker and setpass API run as their own processes (npm run worker / api) with the workflow bundle made ahead (npm run bundle), max_cached_workflows = ${config.temporal.max_cached_workflows || 'SDK default'}; RSS from /proc`,
      ...(WORKER_FLAGS ? [`worker started with NODE_OPTIONS=${WORKER_FLAGS}`] : []),
      'password set → completed: from the set-password form’s 200 answer to the workflow’s result (the API’s outbox signals the workflow), one person at a time',
      ...machineNotes(),
    ],
  };
  return [
    table,
    cpuTable('Parked onboardings', 'onboarding', cpu, [
      `park ${n}: the time-to-park window, per onboarding parked: user and role in Keystone, a setpass token from the api, both mails`,
      `set passwords: the ${samples} samples one at a time (mail read, form posted, Keystone changes the password, the workflow completes), per sample`,
      'worker and api: their own processes; driver: this process, which starts the workflows, counts the parked ones, and for the samples reads Mailpit and posts the form',
      'the services (Temporal, OpenStack, PostgreSQL, Mailpit) are shared: other work on the machine meanwhile counts in their columns',
    ]),
  ];
}

const verdict = (met: boolean) => (met ? 'met' : 'missed');
