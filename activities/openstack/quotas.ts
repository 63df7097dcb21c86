// Quotas on Nova, Cinder and Neutron: read them, set them and prove they took. Endpoints come from
// the Keystone catalog; the Nova microversion is negotiated once per worker.
import { ApplicationFailure, log } from '@temporalio/activity';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type { KeystoneClient } from './keystone';
import {
  quotaMismatches,
  quotasByService,
  readLimit,
  type QUOTA_KEYS,
  type QuotaValues,
} from '../../shared/quota-keys';

export interface QuotaDeps {
  keystone: KeystoneClient;
  /** The quotas of a new project ([quotas] in the config). */
  quotas: QuotaValues;
  endpointInterface: string;
  region: string;
}

type ServiceType = keyof typeof QUOTA_KEYS;

interface QuotaApi {
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

export function createQuotaActivities({ keystone, quotas, endpointInterface, region }: QuotaDeps) {
  const endpoints = new QuotaEndpoints(keystone, endpointInterface, region);
  const quotaApi = (type: ServiceType, projectId: string) => endpoints.api(type, projectId);

  async function read(api: QuotaApi): Promise<Record<string, unknown>> {
    const response = await keystone.adminRequest({ ...api, method: 'GET' });
    return response.json<Record<string, Record<string, unknown>>>()[api.wrapper] ?? {};
  }

  /** Sets the values on each service in turn (Nova, Cinder, Neutron) and reads each back. */
  async function setAndCheck(projectId: string, values: QuotaValues): Promise<void> {
    for (const [type, wanted] of Object.entries(quotasByService(values)) as [
      ServiceType,
      Record<string, number>,
    ][]) {
      if (Object.keys(wanted).length === 0) continue;
      const api = await quotaApi(type, projectId);
      const answer = await keystone.adminRequest({
        ...api,
        method: 'PUT',
        body: { [api.wrapper]: wanted },
      });
      // The services answer a PUT with the quotas they now hold: a second GET would only repeat
      // it (and Nova asks Keystone again for each). Read back only when the answer lacks them.
      const held = answer.text
        ? answer.json<Record<string, Record<string, unknown> | undefined>>()[api.wrapper]
        : undefined;
      const wrong = quotaMismatches(wanted, held ?? (await read(api)));
      if (wrong.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `${api.service} did not take the quotas: ${wrong.join('; ')}`,
          FailureType.quotaNotApplied,
        );
      }
    }
  }

  return {
    /** Sets the configured quotas of a new project on all three services and proves they took. */
    async applyQuotas({ projectId }: { projectId: string }): Promise<void> {
      return classified(async () => {
        await setAndCheck(projectId, quotas);
        log.info('quotas set', { projectId });
      });
    },

    /** Sets some quotas of a project (the rest stay as they are) and proves they took. */
    async setQuotas({
      projectId,
      values,
    }: {
      projectId: string;
      values: QuotaValues;
    }): Promise<void> {
      return classified(async () => {
        await setAndCheck(projectId, values);
        log.info('quotas changed', { projectId, keys: Object.keys(values) });
      });
    },

    /** The current limits of the given keys, each read from the service that owns it. */
    async readQuotas({
      projectId,
      keys,
    }: {
      projectId: string;
      keys: string[];
    }): Promise<Record<string, number>> {
      return classified(async () => {
        const wanted = Object.fromEntries(keys.map((k) => [k, 0])) as QuotaValues;
        const result: Record<string, number> = {};
        for (const [type, subset] of Object.entries(quotasByService(wanted)) as [
          ServiceType,
          Record<string, number>,
        ][]) {
          if (Object.keys(subset).length === 0) continue;
          const got = await read(await quotaApi(type, projectId));
          for (const key of Object.keys(subset)) {
            const limit = readLimit(got[key]);
            if (typeof limit !== 'number') throw new Error(`${type} did not report quota ${key}`);
            result[key] = limit;
          }
        }
        return result;
      });
    },
  };
}
