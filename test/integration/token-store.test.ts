// One conformance suite for every TokenStore implementation: the SQLite file and PostgreSQL
// (the database in KAIZEN_TEST_POSTGRES_URL, which scripts/services.sh provides) must behave
// the same, so each case runs against both.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openTokenStore } from '../../api/open-token-store';
import type { IssuedToken, PasswordSetEvent, TokenRecord, TokenStore } from '../../api/token-store';
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
    pinBinding: null,
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

/** v0.1.0's tokens table, before pin_binding: a database that the store must migrate. */
const V0_1_0_TOKENS = (blob: 'BLOB' | 'BYTEA', integer: 'INTEGER' | 'BIGINT') => `
  CREATE TABLE tokens (
    user_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    password_sealed ${blob} NOT NULL,
    workflow_id TEXT,
    updated_at ${integer} NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  )`;
const V0_1_0_INSERT = `INSERT INTO tokens
  (user_id, token_hash, pin_hash, password_sealed, workflow_id, updated_at, attempts)`;
const v010Values = (r: Issued) =>
  [r.userId, r.tokenHash, r.pinHash, r.passwordSealed, r.workflowId, r.updatedAt, 2] as const;

/** A database as v0.1.0 left it, holding `row` (2 attempts); drop() removes it. */
interface LegacyDatabase {
  database: string;
  drop: () => Promise<void>;
}

/**
 * The cases every store must pass. `fresh` returns the `database` setting of an empty store
 * (a new SQLite file, a truncated PostgreSQL database); stores are opened with openTokenStore.
 * `legacy` makes a database with v0.1.0's schema.
 */
function conformance(
  name: string,
  fresh: () => Promise<string>,
  legacy: (row: Issued) => Promise<LegacyDatabase>,
  cleanup?: () => void,
): void {
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

    test('a form request PIN is kept by request id; a second put replaces it', async () => {
      const requestId = randomUUID();
      assert.equal(await store.requestPinHash(requestId), undefined);
      await store.putRequestPin(requestId, 'a'.repeat(64), 1_700_000_000_000);
      assert.equal(await store.requestPinHash(requestId), 'a'.repeat(64));
      await store.putRequestPin(requestId, 'a'.repeat(64), 1_700_000_000_000); // a retry
      assert.equal(await store.requestPinHash(requestId), 'a'.repeat(64));
      await store.putRequestPin(requestId, 'b'.repeat(64), 1_700_000_000_001);
      assert.equal(await store.requestPinHash(requestId), 'b'.repeat(64));

      const other = randomUUID();
      await store.putRequestPin(other, 'c'.repeat(64), 1_700_000_000_002);
      assert.equal(await store.requestPinHash(requestId), 'b'.repeat(64), 'requests apart');
      assert.equal(await store.requestPinHash(other), 'c'.repeat(64));
      assert.equal(await store.byUser(requestId), undefined, 'no token comes of it');
    });

    test('the PIN binding round-trips; a re-issue writes its own', async () => {
      const bound = issued({ pinBinding: `request:${randomUUID()}` });
      await store.put(bound);
      assert.deepEqual(await store.byUser(bound.userId), { ...bound, attempts: 0 });
      assert.deepEqual(await store.byTokenHash(bound.tokenHash), { ...bound, attempts: 0 });

      const rebound = issued({ userId: bound.userId, pinBinding: `request:${randomUUID()}` });
      await store.put(rebound);
      assert.deepEqual(await store.byTokenHash(rebound.tokenHash), { ...rebound, attempts: 0 });

      // Callers that know nothing of bindings (bench, v0.1.0's record shape) bind to the user.
      const unbound: IssuedToken = issued({ userId: bound.userId });
      delete unbound.pinBinding;
      await store.put(unbound);
      assert.deepEqual(await store.byUser(bound.userId), {
        ...unbound,
        pinBinding: null,
        attempts: 0,
      });
    });

    // Rate-limit windows start an hour ahead: a real API's prune (now) never reaches them.
    const hitTime = () => Date.now() + 3_600_000;
    const newBucket = () => `test:${randomUUID()}`;

    test('rate-limit hits are counted atomically across connections, in one window', async () => {
      const other = await open(); // a second API process on the same database
      const bucket = newBucket();
      const t = hitTime();
      const windows = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).countHit(bucket, t, 60_000)),
      );
      assert.deepEqual(
        windows.map((w) => w.hits).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.deepEqual(new Set(windows.map((w) => w.windowEnd)), new Set([t + 60_000]));
      assert.deepEqual(await store.countHit(newBucket(), t, 60_000), {
        hits: 1,
        windowEnd: t + 60_000,
      });
    });

    test('a rate-limit window restarts once it has ended; pruning drops only ended ones', async () => {
      const bucket = newBucket();
      const t = hitTime();
      assert.deepEqual(await store.countHit(bucket, t, 1000), { hits: 1, windowEnd: t + 1000 });
      assert.deepEqual(await store.countHit(bucket, t + 999, 1000), {
        hits: 2,
        windowEnd: t + 1000,
      });
      assert.deepEqual(await store.countHit(bucket, t + 1000, 1000), {
        hits: 1,
        windowEnd: t + 2000,
      });

      const ended = newBucket();
      const live = newBucket();
      await store.countHit(ended, t, 1000);
      await store.countHit(live, t, 5000);
      assert.ok((await store.pruneHits(t + 1000)) >= 1);
      // Counted again before its old end: had the row stayed, this would be its second hit.
      assert.deepEqual(await store.countHit(ended, t + 1, 1000), { hits: 1, windowEnd: t + 1001 });
      assert.deepEqual(await store.countHit(live, t + 1001, 5000), {
        hits: 2,
        windowEnd: t + 5000,
      });
    });

    test('a v0.1.0 database is migrated on open: its tokens stay, bound to their user', async () => {
      const old = issued();
      const legacyDb = await legacy(old);
      const migrated: TokenStore[] = [];
      try {
        migrated.push(await openTokenStore(legacyDb.database));
        const [first] = migrated;
        assert.ok(first);
        assert.deepEqual(await first.byUser(old.userId), { ...old, attempts: 2 });
        assert.deepEqual(await first.byTokenHash(old.tokenHash), { ...old, attempts: 2 });

        const bound = issued({ pinBinding: `request:${randomUUID()}` });
        await first.put(bound);
        assert.deepEqual(await first.byUser(bound.userId), { ...bound, attempts: 0 });
        const requestId = randomUUID();
        await first.putRequestPin(requestId, 'd'.repeat(64), 1);
        assert.equal(await first.requestPinHash(requestId), 'd'.repeat(64));
        const bucket = newBucket();
        assert.equal((await first.countHit(bucket, hitTime(), 60_000)).hits, 1);

        // Opening it again (another process, a restart) finds the column there already.
        migrated.push(await openTokenStore(legacyDb.database));
        assert.deepEqual(await migrated[1]?.byUser(bound.userId), { ...bound, attempts: 0 });
        assert.equal(await migrated[1]?.consume(old.tokenHash), true);
        assert.equal((await migrated[1]?.countHit(bucket, hitTime(), 60_000))?.hits, 2);
      } finally {
        for (const s of migrated) await s.close().catch(() => undefined);
        await legacyDb.drop();
      }
    });

    test('tokens, attempts, request PINs, pending events and hits survive close and reopen', async () => {
      const first = await openTokenStore(database);
      const bucket = newBucket();
      const t = hitTime();
      await first.countHit(bucket, t, 60_000);
      const kept = issued({ pinBinding: `request:${randomUUID()}` });
      const used = issued();
      const requestId = randomUUID();
      await first.putRequestPin(requestId, 'e'.repeat(64), 1);
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
      assert.equal(await again.requestPinHash(requestId), 'e'.repeat(64));
      assert.deepEqual(await again.countHit(bucket, t + 1, 60_000), {
        hits: 2,
        windowEnd: t + 60_000,
      });
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
  async (row) => {
    const file = join(sqliteDir, `v0.1.0-${randomUUID()}.sqlite`);
    const db = new Database(file);
    try {
      db.exec(V0_1_0_TOKENS('BLOB', 'INTEGER'));
      db.prepare(`${V0_1_0_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?)`).run(...v010Values(row));
    } finally {
      db.close();
    }
    return { database: file, drop: async () => rmSync(file, { force: true }) };
  },
  () => rmSync(sqliteDir, { recursive: true, force: true }),
);

function postgresUrl(): string {
  const url = process.env.KAIZEN_TEST_POSTGRES_URL;
  if (!url) {
    throw new Error(
      'KAIZEN_TEST_POSTGRES_URL is not set: the PostgreSQL token store cannot be tested. ' +
        'Run scripts/services.sh start, then `source .state/services.env` (npm test does both).',
    );
  }
  return url;
}

async function withPostgres<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

conformance(
  'PostgreSQL',
  async () => {
    const url = postgresUrl();
    // Fresh data: make sure the tables exist, then empty them.
    await (await PostgresTokenStore.open(url)).close();
    await withPostgres((client) =>
      client.query(
        'TRUNCATE tokens, password_set_outbox, request_pins, rate_limits RESTART IDENTITY',
      ),
    );
    return url;
  },
  // A schema of its own, first on the store's search_path: the shared tables stay untouched.
  async (row) => {
    const schema = `v0_1_0_${randomUUID().replaceAll('-', '')}`;
    await withPostgres(async (client) => {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path TO ${schema}`);
      await client.query(V0_1_0_TOKENS('BYTEA', 'BIGINT'));
      await client.query(`${V0_1_0_INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        ...v010Values(row),
      ]);
    });
    const url = new URL(postgresUrl());
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      database: url.toString(),
      drop: () => withPostgres((client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(),
    };
  },
);

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
