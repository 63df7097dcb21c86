// Onboarding throughput: N registrations through the whole system (workflow, activities,
// setpass, SMTP) beside, in the same run, two floors with no workflow engine — the plain floor
// (the OpenStack calls any onboarding needs) and the same-calls floor (every call the system
// makes) — and a one-row-at-a-time loop doing what the original script did. Each run also
// reads the CPU every process used (bench/process-cpu.ts).
import { randomInt, randomUUID } from 'node:crypto';

import { QuotaEndpoints } from '../clients/quota-endpoints';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { startOnboarding } from '../wiring/start-onboarding';
import { onboardingWorkflowId, type Registration } from '../shared/onboarding';
import { testConfig } from '../test/support/services';
import { mailTransport } from '../clients/smtp-transport';
import { machineNotes, type Progress } from './machine';
import { activityTimes, describeTimes } from './activity-times';
import { pool } from '../test/support/pool';
import type { Table } from './table';
import { waitUntilParked } from './wait-parked';
import type { Created } from './onboarding-floor';
import { provisionDirectly, cleanUp, issueToken, deleteByName } from './onboarding-floor';
import { sameCalls } from './onboarding-same-calls';
import { startApiProcess, startWorkerProcess } from './onboarding-processes';
import { cpuSnapshot, cpuUsed, servicePids, type Parts } from './process-cpu';
import { onboardingTables, type Measured } from './onboarding-report';

const PATIENT = { afterMs: [86_400_000], abandonAfterMs: 172_800_000, linkLifetimeMs: 172_800_000 };

function registrations(n: number, run: string): Registration[] {
  return Array.from({ length: n }, (_, i) => ({
    email: `bench-${run}-${i}@example.org`,
    firstName: 'Bench',
    lastName: `Mark ${i}`,
    project: `bench-${run}-${i}`,
    pin: String(randomInt(1000, 10000)),
  }));
}

/** Every onboarding of the run has sent both mails and waits for its password. */
export async function benchOnboarding(options: {
  quick: boolean;
  progress: Progress;
}): Promise<Table[]> {
  const n = options.quick ? 20 : 100;
  // BENCH_LEVELS=1 runs one concurrency: a quick before/after of one change.
  const levels = (process.env.BENCH_LEVELS ?? '1,4,8').split(',').map(Number);
  const config = testConfig();
  const keystone = keystoneFromConfig(config);
  const endpoints = new QuotaEndpoints(
    keystone,
    config.openstack.interface,
    config.openstack.region,
  );
  const role = await keystone.findRoleByName(config.auth.member_role);
  if (!role) throw new Error(`role ${config.auth.member_role} not found in Keystone`);
  const created: Created = { projects: [], users: [] };
  const measured = new Map<string, Measured>();
  const whereTimeGoes: string[] = [];
  const api = await startApiProcess();
  const parts = (worker?: number): Parts => ({
    worker,
    api: api.process.child.pid,
    driver: process.pid,
    ...servicePids(),
  });
  /** Times `work` and reads what each process used meanwhile. */
  const run = async (name: string, on: Parts, work: () => Promise<void>) => {
    const before = cpuSnapshot(on);
    const started = performance.now();
    await work();
    const seconds = (performance.now() - started) / 1000;
    measured.set(name, { seconds, n, cpu: cpuUsed(before, cpuSnapshot(on)) });
    options.progress(`${name}: ${n} in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(2)}/s)`);
  };

  try {
    // The original script's loop: one row at a time, every call and both mails in turn.
    const transport = mailTransport(config);
    try {
      const rows = registrations(n, randomUUID().slice(0, 6));
      options.progress(`sequential loop: ${n} rows, one at a time`);
      await run('sequential', parts(), async () => {
        for (const r of rows) {
          const userId = await provisionDirectly(keystone, endpoints, config, role.id, r, created);
          const token = await issueToken(api.url, await keystone.token(), userId, r.pin!);
          for (const subject of ['Welcome', 'Choose your password']) {
            await transport.sendMail({
              from: config.email_defaults.sender,
              to: r.email,
              subject,
              text: `${api.url}?token=${token}`,
            });
          }
        }
      });
    } finally {
      transport.close();
      await cleanUp(keystone, created);
    }

    for (const c of levels) {
      const rows = registrations(n, randomUUID().slice(0, 6));
      const took = new Map<string, number[]>();
      options.progress(`floor at concurrency ${c}: ${n} × (project, 3 quota sets, user, role)`);
      await run(`floor c=${c}`, parts(), () =>
        pool(rows, c, async (r) => {
          await provisionDirectly(keystone, endpoints, config, role.id, r, created, took);
        }),
      );
      whereTimeGoes.push(describeTimes(`floor c=${c}`, { waited: new Map(), ran: took }));
      await cleanUp(keystone, created);

      const same = sameCalls(testConfig(api.env));
      const sameRows = registrations(n, randomUUID().slice(0, 6));
      try {
        options.progress(`same-calls floor at concurrency ${c}: the activities, no engine`);
        await run(`same-calls c=${c}`, parts(), () => pool(sameRows, c, (r) => same.onboard(r)));
      } finally {
        await same.close();
        await deleteByName(keystone, sameRows, created);
        await cleanUp(keystone, created);
      }

      const worker = await startWorkerProcess(api, c);
      const people = registrations(n, randomUUID().slice(0, 6));
      try {
        options.progress(`system at concurrency ${c}: ${n} onboardings to the welcome mails`);
        await run(`system c=${c}`, parts(worker.process.child.pid), async () => {
          await pool(people, 16, async (r) => {
            await startOnboarding(worker.client, worker.config, r, { reminders: PATIENT });
          });
          await waitUntilParked(worker.client, worker.taskQueue, n, { pollMs: 250 });
        });
        const times = await activityTimes(
          worker.client,
          people.map((r) => onboardingWorkflowId(r)),
        );
        whereTimeGoes.push(describeTimes(`system c=${c}`, times));
      } finally {
        await pool(people, 16, async (r) => {
          await worker.client.workflow
            .getHandle(onboardingWorkflowId(r))
            .terminate('benchmark done')
            .catch(() => undefined);
        });
        await worker.close();
        await deleteByName(keystone, people, created);
        await cleanUp(keystone, created);
      }
    }
  } finally {
    await api.process.stop();
  }
  return onboardingTables(n, levels, measured, [...whereTimeGoes, ...machineNotes()]);
}
