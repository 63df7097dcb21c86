// One conformance suite for every TokenStore implementation: the SQLite file and PostgreSQL
// (the database in KAIZEN_TEST_POSTGRES_URL, which scripts/services.sh provides) must behave
// the same, so each case runs against both.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { openTokenStore } from '../../api/open-token-store';
import type { PasswordSetEvent, TokenRecord, TokenStore } from '../../api/token-store';
import { PostgresTokenStore } from '../../api/token-store-postgres';
import { SqliteTokenStore } from '../../api/token-store-sqlite';

type Issued = Omit<TokenRecord, 'attempts'>;

/** A token record with unique ids and sealed bytes that include 0x00 and 0xff. */
function issued(overrides: Partial<Issued> = {}): Issued {
  const id = randomUUID();
  return {
    userId: `user-${id}`,
    tokenHash: `token-${randomUUID()}`,
    pinHash: `pin-${randomUUID()}`,
    passwordSealed: Buffer.concat([Buffer.from([0x00, 0xff, 0x00]), randomBytes(61)]),
    workflowId: `onboarding-${id}`,
    updatedAt: Date.now(),
    ...overrides,
  };
}

const eventFor = (record: Issued, at = Date.now()): Omit<PasswordSetEvent, 'id'> => ({
  workflowId: record.workflowId ?? 'no-workflow',
  userId: record.userId,
  at,
});

async function eventsOf(store: TokenStore, ...userIds: string[]): Promise<PasswordSetEvent[]> {
  return (await store.pendingEvents(100_000)).filter((e) => userIds.includes(e.userId));
}

async function drainOutbox(store: TokenStore): Promise<void> {
  for (let batch = await store.pendingEvents(1000); batch.length > 0;) {
    for (const e of batch) await store.markDelivered(e.id);
    batch = await store.pendingEvents(1000);
  }
}

/**
 * The cases every store must pass. `fresh` returns the `database` setting of an empty store
 * (a new SQLite file, a truncated PostgreSQL database); stores are opened with openTokenStore.
 */
function conformance(name: string, fresh: () => Promise<string>, cleanup?: () => void): void {
  describe(`TokenStore conformance: ${name}`, () => {
    let database = '';
    let store: TokenStore;
    const opened: TokenStore[] = [];
    const open = async () => {
      const s = await openTokenStore(database);
      opened.push(s);
      return s;
    };

    before(async () => {
      database = await fresh();
      store = await open();
    });
    after(async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      cleanup?.();
    });

    test('issues a token and reads it back by user and by token hash, bytes intact', async () => {
      const record = issued();
      await store.put(record);
      const byUser = await store.byUser(record.userId);
      const byHash = await store.byTokenHash(record.tokenHash);
      assert.deepEqual(byUser, { ...record, attempts: 0 });
      assert.deepEqual(byHash, { ...record, attempts: 0 });
      assert.ok(Buffer.isBuffer(byUser?.passwordSealed));
      assert.equal(byUser?.passwordSealed.toString('hex'), record.passwordSealed.toString('hex'));
      assert.equal(typeof byUser?.updatedAt, 'number');

      const noWorkflow = issued({ workflowId: null });
      await store.put(noWorkflow);
      assert.deepEqual(await store.byUser(noWorkflow.userId), { ...noWorkflow, attempts: 0 });

      assert.equal(await store.byUser(`user-${randomUUID()}`), undefined);
      assert.equal(await store.byTokenHash(`token-${randomUUID()}`), undefined);
    });

    test('re-issuing kills the old token and restarts the attempt counter', async () => {
      const first = issued();
      await store.put(first);
      assert.equal(await store.countFailedAttempt(first.userId), 1);
      assert.equal(await store.countFailedAttempt(first.userId), 2);

      const second = issued({ userId: first.userId, updatedAt: first.updatedAt + 1000 });
      await store.put(second);
      assert.equal(await store.byTokenHash(first.tokenHash), undefined);
      assert.deepEqual(await store.byTokenHash(second.tokenHash), { ...second, attempts: 0 });
      assert.deepEqual(await store.byUser(first.userId), { ...second, attempts: 0 });
      assert.equal(await store.consume(first.tokenHash), false);
      assert.equal(await store.countFailedAttempt(first.userId), 1);
    });

    test('counts failed attempts atomically and returns the new count', async () => {
      const record = issued();
      await store.put(record);
      const counts = await Promise.all(
        Array.from({ length: 10 }, () => store.countFailedAttempt(record.userId)),
      );
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal((await store.byUser(record.userId))?.attempts, 10);
      assert.equal(await store.countFailedAttempt(`user-${randomUUID()}`), 0);
    });

    test('a token is consumed once', async () => {
      const record = issued();
      await store.put(record);
      assert.equal(await store.consume(record.tokenHash), true);
      assert.equal(await store.byTokenHash(record.tokenHash), undefined);
      assert.equal(await store.byUser(record.userId), undefined);
      assert.equal(await store.consume(record.tokenHash), false);
      assert.equal(await store.consume(`token-${randomUUID()}`), false);
    });

    test('two concurrent consumers of one token: exactly one wins, one event', async () => {
      const other = await open(); // a second process on the same database
      const records = Array.from({ length: 10 }, () => issued());
      for (const r of records) await store.put(r);
      const results = await Promise.all(
        records.map((r) =>
          Promise.all([
            store.consume(r.tokenHash, eventFor(r)),
            other.consume(r.tokenHash, eventFor(r)),
          ]),
        ),
      );
      for (const pair of results) assert.equal(pair.filter(Boolean).length, 1, String(pair));
      const events = await eventsOf(store, ...records.map((r) => r.userId));
      assert.deepEqual(events.map((e) => e.userId).sort(), records.map((r) => r.userId).sort());
      // The same store instance racing itself (one API process, two requests).
      const record = issued();
      await store.put(record);
      const [a, b] = await Promise.all([
        store.consume(record.tokenHash, eventFor(record)),
        store.consume(record.tokenHash, eventFor(record)),
      ]);
      assert.equal(Number(a) + Number(b), 1);
      assert.equal((await eventsOf(store, record.userId)).length, 1);
    });

    test('the outbox event is written only when the token was consumed', async () => {
      const record = issued();
      const at = Date.now() - 5000;
      assert.equal(await store.consume(record.tokenHash, eventFor(record, at)), false);
      assert.deepEqual(await eventsOf(store, record.userId), []);

      await store.put(record);
      assert.equal(await store.consume(record.tokenHash, eventFor(record, at)), true);
      const [event, ...rest] = await eventsOf(store, record.userId);
      assert.deepEqual(rest, []);
      assert.ok(event);
      assert.equal(typeof event.id, 'number');
      assert.deepEqual(event, {
        id: event.id,
        workflowId: record.workflowId,
        userId: record.userId,
        at,
      });
      assert.equal(await store.consume(record.tokenHash, eventFor(record)), false);
      assert.equal((await eventsOf(store, record.userId)).length, 1);

      const silent = issued();
      await store.put(silent);
      assert.equal(await store.consume(silent.tokenHash), true);
      assert.deepEqual(await eventsOf(store, silent.userId), []);
    });

    test('pending events come oldest first until marked delivered', async () => {
      await drainOutbox(store);
      assert.deepEqual(await store.pendingEvents(10), []);
      const records = Array.from({ length: 3 }, () => issued());
      for (const [i, r] of records.entries()) {
        await store.put(r);
        assert.equal(await store.consume(r.tokenHash, eventFor(r, 1_700_000_000_000 + i)), true);
      }
      const pending = await store.pendingEvents(10);
      assert.deepEqual(
        pending.map(({ workflowId, userId, at }) => ({ workflowId, userId, at })),
        records.map((r, i) => ({
          workflowId: r.workflowId,
          userId: r.userId,
          at: 1_700_000_000_000 + i,
        })),
      );
      const ids = pending.map((e) => e.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.deepEqual(await store.pendingEvents(2), pending.slice(0, 2));

      await store.markDelivered(ids[0]!);
      assert.deepEqual(await store.pendingEvents(10), pending.slice(1));
      await store.markDelivered(ids[0]!); // again: no error, nothing else goes
      await store.markDelivered(ids[2]!);
      assert.deepEqual(await store.pendingEvents(10), [pending[1]]);
      await store.markDelivered(ids[1]!);
      assert.deepEqual(await store.pendingEvents(10), []);
    });

    test('tokens, attempts and pending events survive close and reopen', async () => {
      const first = await openTokenStore(database);
      const kept = issued();
      const used = issued();
      await first.put(kept);
      await first.countFailedAttempt(kept.userId);
      await first.put(used);
      assert.equal(await first.consume(used.tokenHash, eventFor(used, 42)), true);
      await first.close();

      const again = await open();
      assert.deepEqual(await again.byTokenHash(kept.tokenHash), { ...kept, attempts: 1 });
      assert.equal(await again.byUser(used.userId), undefined);
      const events = await eventsOf(again, used.userId);
      assert.deepEqual(
        events.map(({ workflowId, userId, at }) => ({ workflowId, userId, at })),
        [{ workflowId: used.workflowId, userId: used.userId, at: 42 }],
      );
      assert.equal(await again.consume(used.tokenHash, eventFor(used)), false);
    });
  });
}

let sqliteDir = '';
conformance(
  'SQLite',
  async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'kaizen-token-store-'));
    return join(sqliteDir, 'setpass.sqlite');
  },
  () => rmSync(sqliteDir, { recursive: true, force: true }),
);

conformance('PostgreSQL', async () => {
  const url = process.env.KAIZEN_TEST_POSTGRES_URL;
  if (!url) {
    throw new Error(
      'KAIZEN_TEST_POSTGRES_URL is not set: the PostgreSQL token store cannot be tested. ' +
        'Run scripts/services.sh start, then `source .state/services.env` (npm test does both).',
    );
  }
  // Fresh data: make sure the tables exist, then empty them.
  await (await PostgresTokenStore.open(url)).close();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('TRUNCATE tokens, password_set_outbox RESTART IDENTITY');
  } finally {
    await client.end();
  }
  return url;
});

describe('openTokenStore', () => {
  test('a postgres:// or postgresql:// URL opens PostgreSQL, anything else SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaizen-token-store-'));
    try {
      const sqlite = await openTokenStore(join(dir, 'postgres.sqlite'));
      assert.ok(sqlite instanceof SqliteTokenStore);
      await sqlite.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const url = process.env.KAIZEN_TEST_POSTGRES_URL;
    assert.ok(url, 'KAIZEN_TEST_POSTGRES_URL is not set (source .state/services.env)');
    const postgres = await openTokenStore(url.replace(/^postgresql:/, 'postgres:'));
    assert.ok(postgres instanceof PostgresTokenStore);
    await postgres.close();
  });

  test('an unreachable PostgreSQL fails clearly and without the password', async () => {
    await assert.rejects(
      openTokenStore('postgresql://setpass:s3cret-pw@127.0.0.1:1/setpass'),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^\[setpass\] database: cannot connect to PostgreSQL at /);
        assert.match(err.message, /postgresql:\/\/setpass:\*\*\*@127\.0\.0\.1:1\/setpass/);
        assert.doesNotMatch(err.message, /s3cret-pw/);
        return true;
      },
    );
  });
});
