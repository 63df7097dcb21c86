// Quotas of new projects on the real Nova, Cinder and Neutron APIs (endpoints from the catalog).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DEFAULT_QUOTAS, quotasByService } from '../../shared/quota-keys';
import { QuotaEndpoints } from '../../clients/quota-endpoints';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { startOnboarding } from '../../wiring/start-onboarding';
import { connectClient } from '../../lib/temporal';
import { unacceptedQuotaKeys, verifyQuotaKeys } from '../../wiring/verify-quota-keys';
import { statusQuery } from '../../shared/onboarding';
import { createWorker, type OnboardingWorker } from '../../worker/create-worker';
import { eventually, testConfig, uniqueName } from '../support/services';

describe('quotas of a new project', () => {
  const taskQueue = `test-${randomUUID()}`;
  let config: Config;
  let worker: OnboardingWorker;
  let running: Promise<void>;
  let client: Client;

  before(async () => {
    config = testConfig({
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_QUOTAS__CORES: '24',
      KAIZEN_QUOTAS__GIGABYTES: '900',
    });
    worker = await createWorker(config, taskQueue);
    running = worker.run();
    client = await connectClient(config);
  });
  after(async () => {
    worker.worker.shutdown();
    await running;
    await client.connection.close();
  });

  test('are set on Nova, Cinder and Neutron right after the project is created, and read back', async () => {
    const id = uniqueName('quota');
    const { handle } = await startOnboarding(
      client,
      config,
      {
        email: `${id}@example.org`,
        firstName: 'Q',
        lastName: 'Uota',
        project: `Proj-${id}`,
        pin: '1234',
      },
      {
        taskQueue,
        reminders: { afterMs: [], abandonAfterMs: 3_600_000, linkLifetimeMs: 3_600_000 },
      },
    );
    // Quotas come right after the project; no setpass API runs here, so the user's step (made
    // with its set-password link) retries until the test stops it.
    const status = await eventually('the onboarding to pass the quota step', async () => {
      const s = await handle.query(statusQuery);
      return s.step === 'ensuring-user' ? s : undefined;
    });
    await handle.terminate('test done');

    const keystone = keystoneFromConfig(config);
    // Values that differ from each service's own defaults, so an unset quota cannot pass.
    const wanted = quotasByService({ ...DEFAULT_QUOTAS, cores: 24, gigabytes: 900 });
    const read = async (type: string, path: string, wrapper: string) => {
      const url = `${await keystone.endpoint(type, 'public', 'RegionOne')}${path}`;
      return (await keystone.adminRequest({ service: type, method: 'GET', url })).json<
        Record<string, Record<string, unknown>>
      >()[wrapper]!;
    };
    const nova = await read('compute', `/os-quota-sets/${status.projectId}`, 'quota_set');
    const cinder = await read('volumev3', `/os-quota-sets/${status.projectId}`, 'quota_set');
    const neutron = await read('network', `/v2.0/quotas/${status.projectId}`, 'quota');
    for (const [key, value] of Object.entries(wanted.compute))
      assert.equal(nova[key], value, `nova ${key}`);
    for (const [key, value] of Object.entries(wanted.volumev3))
      assert.equal(cinder[key], value, `cinder ${key}`);
    for (const [key, value] of Object.entries(wanted.network))
      assert.equal(neutron[key], value, `neutron ${key}`);
    assert.equal(nova.cores, 24, 'the configured value, not the default');
    assert.equal(cinder.gigabytes, 900);
    assert.equal(neutron.port, 155, "not Neutron's default of 500");
  });
});

describe('quota keys checked against the live services at start-up', () => {
  test('the configured keys are all accepted', async () => {
    const config = testConfig();
    await verifyQuotaKeys(config, keystoneFromConfig(config));
  });

  test("keys a service does not list are named, with the service's own list", async () => {
    const config = testConfig();
    const keystone = keystoneFromConfig(config);
    const admin = (await keystone.findProjectByName(config.auth.admin_project))!;
    const problems = await unacceptedQuotaKeys(
      new QuotaEndpoints(keystone, 'public', 'RegionOne'),
      admin.id,
      { compute: ['cores', 'floating_ips', 'injected_files'], network: ['port', 'ports'] },
    );
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(
      problems[0]!,
      /^\[quotas\] floating_ips: Nova \(microversion 2\.\d+\) does not accept it \(it takes .*\bcores\b/,
    );
    assert.match(problems[1]!, /^\[quotas\] injected_files: Nova/);
    assert.match(
      problems[2]!,
      /^\[quotas\] ports: Neutron does not accept it \(it takes .*\bport\b/,
    );
  });
});
