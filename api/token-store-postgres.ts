import { Pool, type PoolClient } from 'pg';
import { ConfigError } from '../config/load';
import { databaseRefusal } from './database-refusal';
import type {
  HitWindow,
  IssuedToken,
  PasswordSetEvent,
  TokenRecord,
  TokenStore,
} from './token-store';
import {
  SCHEMA,
  SCHEMA_LOCK,
  toEvent,
  toRecord,
  type EventRow,
  type Row,
} from './token-store-postgres-schema';

/** A PostgreSQL URL fit for messages and logs: the password (in userinfo or query) is masked. */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<unparseable PostgreSQL URL>';
  }
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The store on PostgreSQL, for deployments that run more than one API process or host. */
export class PostgresTokenStore implements TokenStore {
  private constructor(private readonly pool: Pool) {}

  /** Connects, creates the tables if missing, and fails with a clear error if it cannot. */
  static async open(url: string): Promise<PostgresTokenStore> {
    const where = redactDatabaseUrl(url);
    // Checked here so pg never reports the raw (password-bearing) URL in an error.
    try {
      new URL(url);
    } catch {
      throw new Error(`[setpass] database: not a valid PostgreSQL URL (${where})`);
    }
    const pool = new Pool({
      connectionString: url,
      connectionTimeoutMillis: 10_000,
      application_name: 'kaizen-setpass',
    });
    // An idle connection that breaks (server restart) is reported here; without a listener the
    // 'error' event would crash the process. The pool replaces the connection by itself.
    pool.on('error', (err) => {
      console.error(`[setpass] database: idle PostgreSQL connection failed: ${err.message}`);
    });

    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      // A refused login or a missing database: a restart cannot mend it, so it is bad config.
      const refusal = databaseRefusal(err, where);
      if (refusal) throw new ConfigError([refusal]);
      throw new Error(
        `[setpass] database: cannot connect to PostgreSQL at ${where}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      await pool.end().catch(() => undefined);
      throw new Error(
        `[setpass] database: cannot create or update the tables in PostgreSQL at ${where}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    return new PostgresTokenStore(pool);
  }

  async byUser(userId: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM tokens WHERE user_id = $1', [
      userId,
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async byTokenHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM tokens WHERE token_hash = $1', [
      tokenHash,
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async put(record: IssuedToken): Promise<void> {
    await this.pool.query(
      `INSERT INTO tokens (user_id, token_hash, pin_hash, pin_binding, password_sealed, workflow_id, updated_at, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
       ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, pin_hash = excluded.pin_hash,
         pin_binding = excluded.pin_binding, password_sealed = excluded.password_sealed,
         workflow_id = excluded.workflow_id, updated_at = excluded.updated_at, attempts = 0`,
      [
        record.userId,
        record.tokenHash,
        record.pinHash,
        record.pinBinding ?? null,
        record.passwordSealed,
        record.workflowId,
        record.updatedAt,
      ],
    );
  }

  async revoke(userId: string, workflowId: string | null): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM tokens WHERE user_id = $1 AND ($2::text IS NULL OR workflow_id = $2)',
      [userId, workflowId],
    );
    return rowCount === 1;
  }

  async countFailedAttempt(userId: string): Promise<number> {
    const { rows } = await this.pool.query<{ attempts: number }>(
      'UPDATE tokens SET attempts = attempts + 1 WHERE user_id = $1 RETURNING attempts',
      [userId],
    );
    return rows[0]?.attempts ?? 0;
  }

  async consume(tokenHash: string, event?: Omit<PasswordSetEvent, 'id'>): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // READ COMMITTED: a concurrent DELETE of the same row waits for ours to commit, then finds
      // the row gone and deletes nothing, so exactly one consumer sees rowCount 1.
      const deleted =
        (await client.query('DELETE FROM tokens WHERE token_hash = $1', [tokenHash])).rowCount ===
        1;
      if (deleted && event) {
        await client.query(
          'INSERT INTO password_set_outbox (workflow_id, user_id, at) VALUES ($1, $2, $3)',
          [event.workflowId, event.userId, event.at],
        );
      }
      await client.query('COMMIT');
      client.release();
      return deleted;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch {
        client.release(true); // the connection is broken: do not hand it out again
      }
      throw err;
    }
  }

  async pendingEvents(limit: number): Promise<PasswordSetEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      'SELECT id, workflow_id, user_id, at FROM password_set_outbox ORDER BY id LIMIT $1',
      [limit],
    );
    return rows.map(toEvent);
  }

  async markDelivered(id: number): Promise<void> {
    await this.pool.query('DELETE FROM password_set_outbox WHERE id = $1', [id]);
  }

  async putRequestPin(requestId: string, pinHash: string, at: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO request_pins (request_id, pin_hash, stored_at) VALUES ($1, $2, $3)
       ON CONFLICT (request_id) DO UPDATE SET pin_hash = excluded.pin_hash, stored_at = excluded.stored_at`,
      [requestId, pinHash, at],
    );
  }

  async requestPinHash(requestId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ pin_hash: string }>(
      'SELECT pin_hash FROM request_pins WHERE request_id = $1',
      [requestId],
    );
    return rows[0]?.pin_hash;
  }

  async countHit(bucket: string, now: number, windowMs: number): Promise<HitWindow> {
    // ON CONFLICT DO UPDATE locks the row: concurrent hits from other processes queue up.
    const { rows } = await this.pool.query<{ hits: number; window_end: string }>(
      `INSERT INTO rate_limits (bucket, window_end, hits) VALUES ($1, $2, 1)
       ON CONFLICT (bucket) DO UPDATE SET
         hits = CASE WHEN rate_limits.window_end <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
         window_end = CASE WHEN rate_limits.window_end <= $3 THEN excluded.window_end
           ELSE rate_limits.window_end END
       RETURNING hits, window_end`,
      [bucket, now + windowMs, now],
    );
    const row = rows[0]!;
    return { hits: row.hits, windowEnd: Number(row.window_end) };
  }

  async pruneHits(now: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM rate_limits WHERE window_end <= $1', [
      now,
    ]);
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
