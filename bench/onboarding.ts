// Onboarding throughput: N registrations through the whole system (workflow, activities,
// setpass, SMTP) beside, in the same run, the floor (the same OpenStack calls over REST, no
// workflow engine) and a one-row-at-a-time loop doing what the original script did.
import { randomInt, randomUUID } from 'node:crypto';

import { QuotaEndpoints } from '../activities/openstack/quotas';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { startOnboarding } from '../wiring/start-onboarding';
import { onboardingWorkflowId, type Registration } from '../shared/onboarding';
import { startSystem } from '../test/support/system';
import { testConfig } from '../test/support/services';
import { mailTransport } from '../worker/clients';
import { machineNotes, type Progress } from './machine';
import { activityTimes, describeTimes } from './activity-times';
import { pool } from '../test/support/pool';
import type { Table } from './table';
import { waitUntilParked } from './wait-parked';
import type { Created } from './onboarding-floor';
import { provisionDirectly, cleanUp, issueToken, deleteByName } from './onboarding-floor';

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

async function seconds(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** Every onboarding of the run has sent both mails and waits for its password. */
export async function benchOnboarding(options: {
  quick: boolean;
  progress: Progress;
}): Promise<Table> {
  const n = options.quick ? 20 : 100;
  const levels = [1, 4, 8];
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
  const rates = new Map<string, number>();
  const whereTimeGoes: string[] = [];
  const rate = (what: string, elapsed: number) => {
    rates.set(what, n / elapsed);
    options.progress(`${what}: ${n} in ${elapsed.toFixed(1)} s (${(n / elapsed).toFixed(2)}/s)`);
  };

  // The original script's loop: one row at a time, every call and both mails in turn.
  {
    const system = await startSystem();
    const transport = mailTransport(system.config);
    try {
      const rows = registrations(n, randomUUID().slice(0, 6));
      options.progress(`sequential loop: ${n} rows, one at a time`);
      rate(
        'sequential',
        await seconds(async () => {
          for (const r of rows) {
            const userId = await provisionDirectly(
              keystone,
              endpoints,
              config,
              role.id,
              r,
              created,
            );
            const token = await issueToken(system.api.url, await keystone.token(), userId, r.pin!);
            for (const subject of ['Welcome', 'Choose your password']) {
              await transport.sendMail({
                from: config.email_defaults.sender,
                to: r.email,
                subject,
                text: `${system.api.url}?token=${token}`,
              });
            }
          }
        }),
      );
    } finally {
      transport.close();
      await system.close();
      await cleanUp(keystone, created);
    }
  }

  for (const c of levels) {
    const rows = registrations(n, randomUUID().slice(0, 6));
    const took = new Map<string, number[]>();
    options.progress(`floor at concurrency ${c}: ${n} × (project, 3 quota sets, user, role)`);
    rate(
      `floor c=${c}`,
      await seconds(() =>
        pool(rows, c, async (r) => {
          await provisionDirectly(keystone, endpoints, config, role.id, r, created, took);
        }),
      ),
    );
    whereTimeGoes.push(describeTimes(`floor c=${c}`, { waited: new Map(), ran: took }));
    await cleanUp(keystone, created);

    const system = await startSystem({ KAIZEN_TEMPORAL__MAX_CONCURRENT_ACTIVITIES: String(c) });
    const people = registrations(n, randomUUID().slice(0, 6));
    try {
      options.progress(`system at concurrency ${c}: ${n} onboardings to the welcome mails`);
      rate(
        `system c=${c}`,
        await seconds(async () => {
          await pool(people, 16, async (r) => {
            await startOnboarding(system.client, system.config, r, { reminders: PATIENT });
          });
          await waitUntilParked(system.client, system.taskQueue, n, { pollMs: 100 });
        }),
      );
      const times = await activityTimes(
        system.client,
        people.map((r) => onboardingWorkflowId(r)),
      );
      whereTimeGoes.push(describeTimes(`system c=${c}`, times));
    } finally {
      await pool(people, 16, async (r) => {
        await system.client.workflow
          .getHandle(onboardingWorkflowId(r))
          .terminate('benchmark done')
          .catch(() => undefined);
      });
      await system.close();
      await deleteByName(keystone, people, created);
      await cleanUp(keystone, created);
    }
  }

  const sequential = rates.get('sequential')!;
  return {
    title: `Onboarding throughput (N = ${n} per row; onboardings per second)`,
    columns: ['run', 'onboardings/s', 'floor/s', 'system / floor', 'system / sequential'],
    rows: [
      ['sequential loop', sequential, '', '', 1],
      ...levels.map((c) => {
        const system = rates.get(`system c=${c}`)!;
        const floor = rates.get(`floor c=${c}`)!;
        return [`system c=${c}`, system, floor, system / floor, system / sequential];
      }),
    ],
    notes: [
      'system: approved registration started → welcome and set-password mails accepted by SMTP (the workflow waits for the password); concurrency = the worker’s max_concurrent_activities',
      'floor: POST project, PUT Nova/Cinder/Neutron quotas, POST user, PUT role over REST with one admin token, no workflow engine, no mail',
      'sequential: the original script’s loop, one row at a time: the floor’s calls, PUT /token to setpass and both mails',
      'targets: system ≥ 0.8 × floor at the same concurrency; system ≥ 4 × sequential',
      ...whereTimeGoes,
      ...machineNotes(),
    ],
  };
}
