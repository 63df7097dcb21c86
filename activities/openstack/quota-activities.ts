// Quotas on Nova, Cinder and Neutron: read them, set them and prove they took. Endpoints come from
// the Keystone catalog; the Nova microversion is negotiated once per worker.
import { ApplicationFailure, log } from '@temporalio/activity';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type { KeystoneClient } from '../../clients/keystone';
import { QuotaEndpoints, type QuotaApi, type ServiceType } from '../../clients/quota-endpoints';
import {
  quotaMismatches,
  quotasByService,
  readLimit,
  type QuotaValues,
} from '../../shared/quota-keys';

export interface QuotaDeps {
  keystone: KeystoneClient;
  /** The quotas of a new project ([quotas] in the config). */
  quotas: QuotaValues;
  endpointInterface: string;
  region: string;
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
