// Onboarding throughput: N registrations through the whole system (workflow, activities,
// setpass, SMTP) beside, in the same run, the floor (the same OpenStack calls over REST, no
// workflow engine) and a one-row-at-a-time loop doing what the original script did.
import { randomInt, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { KeystoneClient } from '../activities/openstack/keystone';
import { quotasByService, type QuotaValues } from '../shared/quota-keys';
import { QuotaEndpoints } from '../activities/openstack/quotas';
import type { Config } from '../config/schema';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { startOnboarding } from '../wiring/start-onboarding';
import { onboardingWorkflowId, searchAttributes, type Registration } from '../shared/onboarding';
import { startSystem } from '../test/support/system';
import { testConfig } from '../test/support/services';
import { mailTransport } from '../worker/clients';
import { machineNotes, type Progress } from './machine';
import { activityTimes, describeTimes } from './activity-times';
import { pool } from '../test/support/pool';
import type { Table } from './table';

const PATIENT = { afterMs: [86_400_000], abandonAfterMs: 172_800_000, linkLifetimeMs: 172_800_000 };

interface Created {
  projects: string[];
  users: string[];
}

function registrations(n: number, run: string): Registration[] {
  return Array.from({ length: n }, (_, i) => ({
    email: `bench-${run}-${i}@example.org`,
    firstName: 'Bench',
    lastName: `Mark ${i}`,
    project: `bench-${run}-${i}`,
    pin: String(randomInt(1000, 10000)),
  }));
}

/** The OpenStack part of one onboarding, as bare REST calls: what no engine can go below. */
async function provisionDirectly(
  keystone: KeystoneClient,
  endpoints: QuotaEndpoints,
  config: Config,
  roleId: string,
  r: Registration,
  created: Created,
  took: Map<string, number[]> = new Map(),
): Promise<string> {
  const timed = async <T>(call: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    took.set(call, [...(took.get(call) ?? []), performance.now() - started]);
    return result;
  };
  const { project } = (
    await timed('POST project', () =>
      keystone.request('POST', '/projects', {
        project: { name: r.project, domain_id: config.auth.domain_id, enabled: true },
      }),
    )
  ).json<{ project: { id: string } }>();
  created.projects.push(project.id);
  for (const [type, values] of Object.entries(quotasByService(config.quotas as QuotaValues))) {
    if (Object.keys(values).length === 0) continue;
    const api = await endpoints.api(type as 'compute' | 'volumev3' | 'network', project.id);
    await timed(`PUT ${type} quotas`, () =>
      keystone.adminRequest({ ...api, method: 'PUT', body: { [api.wrapper]: values } }),
    );
  }
  const { user } = (
    await timed('POST user', () =>
      keystone.request('POST', '/users', {
        user: {
          name: r.email,
          email: r.email,
          domain_id: config.auth.domain_id,
          default_project_id: project.id,
          password: randomUUID(),
          enabled: true,
        },
      }),
    )
  ).json<{ user: { id: string } }>();
  created.users.push(user.id);
  await timed('PUT role', () =>
    keystone.request('PUT', `/projects/${project.id}/users/${user.id}/roles/${roleId}`),
  );
  return user.id;
}

async function seconds(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function cleanUp(keystone: KeystoneClient, created: Created): Promise<void> {
  await pool(created.projects.splice(0), 8, async (id) => {
    await keystone.request('DELETE', `/projects/${id}`, undefined, [404]);
  });
  await pool(created.users.splice(0), 8, async (id) => {
    await keystone.request('DELETE', `/users/${id}`, undefined, [404]);
  });
}

/** Every onboarding of the run has sent both mails and waits for its password. */
async function waitUntilParked(client: Client, taskQueue: string, n: number): Promise<void> {
  const query = `TaskQueue = "${taskQueue}" AND ${searchAttributes.step.name} = "waiting-for-password"`;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
          await waitUntilParked(system.client, system.taskQueue, n);
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

async function issueToken(
  apiUrl: string,
  adminToken: string,
  userId: string,
  pin: string,
): Promise<string> {
  const response = await fetch(new URL(`token/${userId}`, apiUrl), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-auth-token': adminToken },
    body: JSON.stringify({ password: randomUUID(), pin }),
  });
  if (!response.ok) throw new Error(`PUT /token answered ${response.status}`);
  return response.text();
}

/** The system made these projects and users itself: find them by name to remove them. */
async function deleteByName(
  keystone: KeystoneClient,
  people: Registration[],
  created: Created,
): Promise<void> {
  await pool(people, 8, async (r) => {
    const project = await keystone.findProjectByName(r.project);
    if (project) created.projects.push(project.id);
    const user = await keystone.findUserByName(r.email);
    if (user) created.users.push(user.id);
  });
}
