// Quotas of a new project on Nova, Cinder and Neutron: which service owns which key, and the
// activity that sets them and reads them back.
import { ApplicationFailure, log } from '@temporalio/activity';
import { classified } from '../errors';
import type { KeystoneClient } from './keystone';
import { quotaMismatches, quotasByService, type QuotaValues } from './quota-keys';

export interface QuotaDeps {
  keystone: KeystoneClient;
  quotas: QuotaValues;
  endpointInterface: string;
  region: string;
}

export function createQuotaActivities({ keystone, quotas, endpointInterface, region }: QuotaDeps) {
  let novaVersion: string | undefined;
  const byService = quotasByService(quotas);

  /** The newest compute microversion the server offers: negotiated once, not hard-coded. */
  async function computeVersion(computeUrl: string): Promise<string> {
    if (novaVersion) return novaVersion;
    const response = await keystone.adminRequest({
      service: 'Nova',
      method: 'GET',
      url: computeUrl,
    });
    const version = response.json<{ version?: { version?: string } }>().version?.version;
    novaVersion = version || '2.1';
    return novaVersion;
  }

  async function setAndCheck(
    service: string,
    url: string,
    wrapper: 'quota_set' | 'quota',
    wanted: Record<string, number>,
    headers: Record<string, string> = {},
  ): Promise<void> {
    if (Object.keys(wanted).length === 0) return;
    await keystone.adminRequest({
      service,
      method: 'PUT',
      url,
      body: { [wrapper]: wanted },
      headers,
    });
    const got = (await keystone.adminRequest({ service, method: 'GET', url, headers })).json<
      Record<string, Record<string, unknown>>
    >()[wrapper];
    const wrong = quotaMismatches(wanted, got ?? {});
    if (wrong.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `${service} did not take the quotas: ${wrong.join('; ')}`,
        'QuotaNotApplied',
      );
    }
  }

  return {
    /** Sets the configured quotas of a project on all three services and proves they took. */
    async applyQuotas({ projectId }: { projectId: string }): Promise<void> {
      return classified(async () => {
        const computeUrl = await keystone.endpoint('compute', endpointInterface, region);
        const version = await computeVersion(computeUrl);
        await setAndCheck(
          'Nova',
          `${computeUrl}/os-quota-sets/${projectId}`,
          'quota_set',
          byService.compute,
          {
            'OpenStack-API-Version': `compute ${version}`,
            'X-OpenStack-Nova-API-Version': version,
          },
        );
        const volumeUrl = await keystone.endpoint('volumev3', endpointInterface, region);
        await setAndCheck(
          'Cinder',
          `${volumeUrl}/os-quota-sets/${projectId}`,
          'quota_set',
          byService.volumev3,
        );
        const networkUrl = await keystone.endpoint('network', endpointInterface, region);
        await setAndCheck(
          'Neutron',
          `${networkUrl}/v2.0/quotas/${projectId}`,
          'quota',
          byService.network,
        );
        log.info('quotas set', { projectId, novaMicroversion: version });
      });
    },
  };
}
