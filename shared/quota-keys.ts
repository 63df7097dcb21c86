// Which service owns which quota key, the defaults, and the pure checks around them.
/** Quota keys each service accepts (current microversions), by catalog service type. */
export const QUOTA_KEYS = {
  compute: [
    'instances',
    'cores',
    'ram',
    'metadata_items',
    'key_pairs',
    'server_groups',
    'server_group_members',
  ],
  volumev3: [
    'volumes',
    'snapshots',
    'gigabytes',
    'backups',
    'backup_gigabytes',
    'per_volume_gigabytes',
    'groups',
  ],
  network: [
    'network',
    'subnet',
    'router',
    'floatingip',
    'port',
    'security_group',
    'security_group_rule',
    'rbac_policy',
    'subnetpool',
  ],
} as const;
export type QuotaKey = (typeof QUOTA_KEYS)[keyof typeof QUOTA_KEYS][number];

/** Keys the original tools set that current Nova refuses, with what to do instead. */
export const REFUSED_QUOTA_KEYS: Record<string, string> = {
  fixed_ips:
    "Nova refuses network quotas since microversion 2.36: set Neutron's network, subnet, port … instead",
  floating_ips: 'Nova refuses network quotas since microversion 2.36: use floatingip (Neutron)',
  networks: 'Nova refuses network quotas since microversion 2.36: use network (Neutron)',
  security_groups:
    'Nova refuses network quotas since microversion 2.36: use security_group (Neutron)',
  security_group_rules:
    'Nova refuses network quotas since microversion 2.36: use security_group_rule (Neutron)',
  injected_files: 'Nova refuses injected-file quotas since microversion 2.57: remove it',
  injected_file_content_bytes:
    'Nova refuses injected-file quotas since microversion 2.57: remove it',
  injected_file_path_bytes: 'Nova refuses injected-file quotas since microversion 2.57: remove it',
};

/** The quota defaults an operator starts from (the original tools' standard). */
export const DEFAULT_QUOTAS: Partial<Record<QuotaKey, number>> = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  network: 5,
  subnet: 10,
  router: 10,
  floatingip: 2,
  port: 155,
};

export type QuotaValues = Partial<Record<QuotaKey, number>>;

/** Splits configured quotas by the service that owns them (unset keys are left out). */
export function quotasByService(
  values: QuotaValues,
): Record<keyof typeof QUOTA_KEYS, Record<string, number>> {
  const pick = (keys: readonly string[]) =>
    Object.fromEntries(
      keys.flatMap((k) =>
        values[k as QuotaKey] === undefined ? [] : [[k, values[k as QuotaKey]!]],
      ),
    );
  return {
    compute: pick(QUOTA_KEYS.compute),
    volumev3: pick(QUOTA_KEYS.volumev3),
    network: pick(QUOTA_KEYS.network),
  };
}

/** Keys whose read-back value differs from what was set. */
export function quotaMismatches(
  wanted: Record<string, number>,
  got: Record<string, unknown>,
): string[] {
  return Object.entries(wanted)
    .filter(([key, value]) => readLimit(got[key]) !== value)
    .map(([key, value]) => `${key}: set ${value}, reads ${JSON.stringify(got[key])}`);
}

/** Nova and Cinder may answer {limit: n} objects with ?usage=true; plain numbers otherwise. */
export function readLimit(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'limit' in value
    ? (value as { limit: unknown }).limit
    : value;
}
