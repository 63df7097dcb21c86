import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedAdminCheck } from '../../api/admin-check';

test('an accepted admin token is asked about again only after the ttl; refusals are not kept', async () => {
  let clock = 0;
  const asked: string[] = [];
  const check = cachedAdminCheck(
    async (token) => {
      asked.push(token);
      return token === 'admin';
    },
    60_000,
    () => clock,
  );
  assert.equal(await check('admin'), true);
  assert.equal(await check('admin'), true);
  assert.equal(await check('member'), false);
  assert.equal(await check('member'), false);
  assert.deepEqual(asked, ['admin', 'member', 'member']);
  clock = 60_000;
  assert.equal(await check('admin'), true);
  assert.deepEqual(asked, ['admin', 'member', 'member', 'admin']);
});
