// At start-up, the configured quota keys are checked against what each live service lists for a
// project: a key a service does not know (a typo, a key an upgrade removed) stops the worker now,
// not at the first new project.
import { QuotaEndpoints } from '../clients/quota-endpoints';
import { QUOTA_KEYS, quotasByService, type QuotaValues } from '../shared/quota-keys';
import type { KeystoneClient } from '../clients/keystone';
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

/**
 * The quota keys the /quota-request form offers: the quota sheet's columns that the live
 * services accept, asked once and remembered (asked again after a failure: a service down at
 * start-up must not hide a key for good).
 */
export function liveRequestableKeys(
  config: Config,
  keystone: KeystoneClient,
  requestable: readonly string[],
): () => Promise<string[]> {
  let asked: Promise<string[]> | undefined;
  const ask = async () => {
    const admin = await keystone.findProjectByName(config.auth.admin_project);
    if (!admin) throw new Error(`admin project "${config.auth.admin_project}" not found`);
    const endpoints = new QuotaEndpoints(
      keystone,
      config.openstack.interface,
      config.openstack.region,
    );
    const accepted = new Set<string>();
    for (const type of Object.keys(QUOTA_KEYS) as ServiceType[]) {
      if (!requestable.some((k) => (QUOTA_KEYS[type] as readonly string[]).includes(k))) continue;
      for (const key of await endpoints.acceptedKeys(type, admin.id)) accepted.add(key);
    }
    return requestable.filter((k) => accepted.has(k));
  };
  return () => {
    asked ??= ask().catch((err: unknown) => {
      asked = undefined;
      throw err;
    });
    return asked;
  };
}
