// The quota APIs of Nova, Cinder and Neutron, found in the Keystone catalog: where each keeps a
// project's quotas and what it reports. Nova's microversion is negotiated once per process.
import type { KeystoneClient } from './keystone';
import { readLimit, type QUOTA_KEYS } from '../shared/quota-keys';

export type ServiceType = keyof typeof QUOTA_KEYS;

export interface QuotaApi {
  service: string;
  url: string;
  wrapper: 'quota_set' | 'quota';
  headers: Record<string, string>;
}

/** Where each service keeps a project's quotas, from the catalog; Nova's microversion negotiated once. */
export class QuotaEndpoints {
  private novaVersion: string | undefined;

  constructor(
    private readonly keystone: KeystoneClient,
    private readonly endpointInterface: string,
    private readonly region: string,
  ) {}

  /** The newest compute microversion the server offers: negotiated, not hard-coded. */
  async computeVersion(computeUrl: string): Promise<string> {
    if (this.novaVersion) return this.novaVersion;
    const response = await this.keystone.adminRequest({
      service: 'Nova',
      method: 'GET',
      url: computeUrl,
    });
    const version = response.json<{ version?: { version?: string } }>().version?.version;
    this.novaVersion = version || '2.1';
    return this.novaVersion;
  }

  async api(type: ServiceType, projectId: string): Promise<QuotaApi> {
    const root = await this.keystone.endpoint(type, this.endpointInterface, this.region);
    if (type === 'compute') {
      const version = await this.computeVersion(root);
      return {
        service: `Nova (microversion ${version})`,
        url: `${root}/os-quota-sets/${projectId}`,
        wrapper: 'quota_set',
        headers: {
          'OpenStack-API-Version': `compute ${version}`,
          'X-OpenStack-Nova-API-Version': version,
        },
      };
    }
    if (type === 'volumev3') {
      return {
        service: 'Cinder',
        url: `${root}/os-quota-sets/${projectId}`,
        wrapper: 'quota_set',
        headers: {},
      };
    }
    return {
      service: 'Neutron',
      url: `${root}/v2.0/quotas/${projectId}`,
      wrapper: 'quota',
      headers: {},
    };
  }

  /** Every quota limit a service reports for a project. */
  async limits(type: ServiceType, projectId: string): Promise<Record<string, number>> {
    const api = await this.api(type, projectId);
    const response = await this.keystone.adminRequest({ ...api, method: 'GET' });
    const values = response.json<Record<string, Record<string, unknown>>>()[api.wrapper] ?? {};
    return Object.fromEntries(
      Object.entries(values).flatMap(([key, value]) => {
        const limit = readLimit(value);
        return key !== 'id' && typeof limit === 'number' ? [[key, limit]] : [];
      }),
    );
  }

  /** The quota keys a service accepts now: those it reports for a project. */
  async acceptedKeys(type: ServiceType, projectId: string): Promise<string[]> {
    return Object.keys(await this.limits(type, projectId));
  }
}
