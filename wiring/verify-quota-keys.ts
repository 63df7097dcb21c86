// At start-up, the configured quota keys are checked against what each live service lists for a
// project: a key a service does not know (a typo, a key an upgrade removed) stops the worker now,
// not at the first new project.
import { QuotaEndpoints } from '../activities/openstack/quotas';
import { quotasByService, type QUOTA_KEYS, type QuotaValues } from '../shared/quota-keys';
import type { KeystoneClient } from '../activities/openstack/keystone';
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';

type ServiceType = keyof typeof QUOTA_KEYS;

/** Problems, one per key a service does not accept; empty when all are accepted. */
export async function unacceptedQuotaKeys(
  endpoints: QuotaEndpoints,
  projectId: string,
  keys: Partial<Record<ServiceType, string[]>>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [type, wanted] of Object.entries(keys) as [ServiceType, string[]][]) {
    if (wanted.length === 0) continue;
    const accepted = await endpoints.acceptedKeys(type, projectId);
    const service = (await endpoints.api(type, projectId)).service;
    for (const key of wanted.filter((k) => !accepted.includes(k))) {
      problems.push(
        `[quotas] ${key}: ${service} does not accept it (it takes ${accepted.sort().join(', ')}): remove the key or correct its name`,
      );
    }
  }
  return problems;
}

/** Throws a ConfigError naming each refused key; other failures (a service down) propagate. */
export async function verifyQuotaKeys(config: Config, keystone: KeystoneClient): Promise<void> {
  const admin = await keystone.findProjectByName(config.auth.admin_project);
  if (!admin) throw new Error(`admin project "${config.auth.admin_project}" not found`);
  const byService = quotasByService(config.quotas as QuotaValues);
  const keys = Object.fromEntries(
    Object.entries(byService).map(([type, values]) => [type, Object.keys(values)]),
  );
  const endpoints = new QuotaEndpoints(
    keystone,
    config.openstack.interface,
    config.openstack.region,
  );
  const problems = await unacceptedQuotaKeys(endpoints, admin.id, keys);
  if (problems.length > 0) throw new ConfigError(problems);
}
