// The stored rate limiter over a real SQLite store (PostgreSQL's side: the token-store
// conformance suite and the request-forms integration test), on an injected clock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import Database from 'better-sqlite3';
import { StoredRateLimiter } from '../../api/rate-limit';
import { SqliteTokenStore } from '../../api/token-store-sqlite';

let dir = '';
let file = '';
let store: SqliteTokenStore;
let clock = 1_700_000_000_000;
const now = () => clock;
const rows = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT bucket, window_end, hits FROM rate_limits').all() as {
      bucket: string;
      window_end: number;
      hits: number;
    }[];
  } finally {
    db.close();
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kaizen-rate-limit-'));
  file = join(dir, 'setpass.sqlite');
  store = new SqliteTokenStore(file);
  clock = 1_700_000_000_000;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('over the limit: the seconds left in the window; a new window after it', async () => {
  const limiter = new StoredRateLimiter(store, 'form-email', 3, 3_600_000, now);
  for (let i = 0; i < 3; i++) assert.equal(await limiter.hit('access:grace@example.org'), 0);
  clock += 1_000_000;
  assert.equal(await limiter.hit('access:grace@example.org'), 2600);
  assert.equal(await limiter.hit('quota:grace@example.org'), 0, 'keys apart');
  clock += 2_600_000;
  assert.equal(await limiter.hit('access:grace@example.org'), 0);
});

test('two limiters on one store: one count per name and key, apart from other names', async () => {
  const a = new StoredRateLimiter(store, 'form-client', 2, 60_000, now);
  const b = new StoredRateLimiter(store, 'form-client', 2, 60_000, now);
  const other = new StoredRateLimiter(store, 'other', 2, 60_000, now);
  assert.equal(await a.hit('203.0.113.9'), 0);
  assert.equal(await b.hit('203.0.113.9'), 0);
  assert.equal(await a.hit('203.0.113.9'), 60);
  assert.equal(await other.hit('203.0.113.9'), 0);
});

test('keys are stored hashed: no e-mail or client address in clear', async () => {
  await new StoredRateLimiter(store, 'form-email', 3, 3_600_000, now).hit(
    'access:grace@example.org',
  );
  await new StoredRateLimiter(store, 'form-client', 60, 60_000, now).hit('203.0.113.9');
  const buckets = rows().map((r) => r.bucket);
  assert.equal(buckets.length, 2);
  for (const bucket of buckets) {
    assert.match(bucket, /^form-(email|client):[A-Za-z0-9_-]{43}$/);
    assert.doesNotMatch(bucket, /grace|example|203\.0/);
  }
});

test('ended windows are pruned, at most once a minute', async () => {
  const limiter = new StoredRateLimiter(store, 'form-client', 60, 10_000, now);
  await limiter.hit('198.51.100.1');
  clock += 10_000;
  await limiter.hit('198.51.100.2'); // 198.51.100.1's window has ended, but a minute has not
  assert.equal(rows().length, 2);
  clock += 50_000;
  await limiter.hit('198.51.100.3');
  assert.deepEqual(
    rows().map((r) => r.window_end),
    [clock + 10_000],
  );
});
