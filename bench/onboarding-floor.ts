// The floor of the onboarding benchmark: the same OpenStack and setpass calls an onboarding
// makes, over REST without a workflow engine, and the clean-up of what a run created.
import { randomUUID } from 'node:crypto';
import type { KeystoneClient } from '../clients/keystone';
import { quotasByService, type QuotaValues } from '../shared/quota-keys';
import type { QuotaEndpoints } from '../clients/quota-endpoints';
import type { Config } from '../config/schema';
import type { Registration } from '../shared/onboarding';
import { pool } from '../test/support/pool';

export interface Created {
  projects: string[];
  users: string[];
}

/** The OpenStack part of one onboarding, as bare REST calls: what no engine can go below. */
export async function provisionDirectly(
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

export async function cleanUp(keystone: KeystoneClient, created: Created): Promise<void> {
  await pool(created.projects.splice(0), 8, async (id) => {
    await keystone.request('DELETE', `/projects/${id}`, undefined, [404]);
  });
  await pool(created.users.splice(0), 8, async (id) => {
    await keystone.request('DELETE', `/users/${id}`, undefined, [404]);
  });
}

export async function issueToken(
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
export async function deleteByName(
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
