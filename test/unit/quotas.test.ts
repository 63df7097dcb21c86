import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUOTAS, quotaMismatches, quotasByService } from '../../shared/quota-keys';

test('quotas are split by the service that owns them', () => {
  const split = quotasByService(DEFAULT_QUOTAS);
  assert.deepEqual(split.compute, { instances: 10, cores: 20, ram: 51200, metadata_items: 128 });
  assert.deepEqual(split.volumev3, { volumes: 10, snapshots: 10, gigabytes: 1000 });
  assert.deepEqual(split.network, { network: 5, subnet: 10, router: 10, floatingip: 2, port: 155 });
});

test('a value that did not take is named with what was set and what reads back', () => {
  assert.deepEqual(quotaMismatches({ cores: 20, ram: 5 }, { cores: 20, ram: 10 }), [
    'ram: set 5, reads 10',
  ]);
  assert.deepEqual(quotaMismatches({ cores: 20 }, { cores: { limit: 20, in_use: 0 } }), []);
  assert.deepEqual(quotaMismatches({ port: 155 }, {}), ['port: set 155, reads undefined']);
});
