import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  HitWindow,
  IssuedToken,
  PasswordSetEvent,
  TokenRecord,
  TokenStore,
} from './token-store';

interface Row {
  user_id: string;
  token_hash: string;
  pin_hash: string;
  pin_binding: string | null;
  password_sealed: Buffer;
  workflow_id: string | null;
  updated_at: number;
  attempts: number;
}

const toRecord = (row: Row): TokenRecord => ({
  userId: row.user_id,
  tokenHash: row.token_hash,
  pinHash: row.pin_hash,
  pinBinding: row.pin_binding,
  passwordSealed: row.password_sealed,
  workflowId: row.workflow_id,
  updatedAt: row.updated_at,
  attempts: row.attempts,
});

/** The default store: one SQLite file (WAL, so the API and admin tools can read it at once). */
export class SqliteTokenStore implements TokenStore {
  private readonly db: Database.Database;
  // Compiling a statement costs more than running it: each is prepared once.
  private readonly statements = new Map<string, Database.Statement>();

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tokens (
      user_id TEXT PRIMARY KEY,
      token_hash TEXT NOT NULL UNIQUE,
      pin_hash TEXT NOT NULL,
      password_sealed BLOB NOT NULL,
      workflow_id TEXT,
      updated_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      pin_binding TEXT
    );
    CREATE TABLE IF NOT EXISTS password_set_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      workflow_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS request_pins (
      request_id TEXT PRIMARY KEY,
      pin_hash TEXT NOT NULL,
      stored_at INTEGER NOT NULL
    );
    -- The request forms' rate-limit windows (added after v0.1.0, whose API never reads them).
    CREATE TABLE IF NOT EXISTS rate_limits (
      bucket TEXT PRIMARY KEY,
      window_end INTEGER NOT NULL,
      hits INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rate_limits_window_end ON rate_limits (window_end);`);
    this.addPinBindingColumn();
  }

  /** Databases made before pin_binding (v0.1.0) get it; older APIs ignore it (SELECT *). */
  private addPinBindingColumn(): void {
    // IMMEDIATE takes the write lock first: two processes opening one old file add it once.
    this.db
      .transaction(() => {
        const columns = this.db.pragma('table_info(tokens)') as { name: string }[];
        if (!columns.some((c) => c.name === 'pin_binding')) {
          this.db.exec('ALTER TABLE tokens ADD COLUMN pin_binding TEXT');
        }
      })
      .immediate();
  }

  async byUser(userId: string): Promise<TokenRecord | undefined> {
    const row = this.sql('SELECT * FROM tokens WHERE user_id = ?').get(userId) as Row | undefined;
    return row && toRecord(row);
  }

  async byTokenHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = this.sql('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as
      Row | undefined;
    return row && toRecord(row);
  }

  async put(record: IssuedToken): Promise<void> {
    this.sql(
      `INSERT INTO tokens (user_id, token_hash, pin_hash, pin_binding, password_sealed, workflow_id, updated_at, attempts)
         VALUES (@userId, @tokenHash, @pinHash, @pinBinding, @passwordSealed, @workflowId, @updatedAt, 0)
         ON CONFLICT(user_id) DO UPDATE SET token_hash = excluded.token_hash, pin_hash = excluded.pin_hash,
           pin_binding = excluded.pin_binding, password_sealed = excluded.password_sealed,
           workflow_id = excluded.workflow_id, updated_at = excluded.updated_at, attempts = 0`,
    ).run({ ...record, pinBinding: record.pinBinding ?? null });
  }

  async revoke(userId: string, workflowId: string | null): Promise<boolean> {
    return (
      this.sql('DELETE FROM tokens WHERE user_id = ? AND (? IS NULL OR workflow_id = ?)').run(
        userId,
        workflowId,
        workflowId,
      ).changes === 1
    );
  }

  async countFailedAttempt(userId: string): Promise<number> {
    const row = this.sql(
      'UPDATE tokens SET attempts = attempts + 1 WHERE user_id = ? RETURNING attempts',
    ).get(userId) as { attempts: number } | undefined;
    return row?.attempts ?? 0;
  }

  async consume(tokenHash: string, event?: Omit<PasswordSetEvent, 'id'>): Promise<boolean> {
    return this.db.transaction(() => {
      const deleted =
        this.sql('DELETE FROM tokens WHERE token_hash = ?').run(tokenHash).changes === 1;
      if (deleted && event) {
        this.sql('INSERT INTO password_set_outbox (workflow_id, user_id, at) VALUES (?, ?, ?)').run(
          event.workflowId,
          event.userId,
          event.at,
        );
      }
      return deleted;
    })();
  }

  async pendingEvents(limit: number): Promise<PasswordSetEvent[]> {
    return (
      this.sql(
        'SELECT id, workflow_id, user_id, at FROM password_set_outbox ORDER BY id LIMIT ?',
      ).all(limit) as { id: number; workflow_id: string; user_id: string; at: number }[]
    ).map((r) => ({ id: r.id, workflowId: r.workflow_id, userId: r.user_id, at: r.at }));
  }

  async markDelivered(id: number): Promise<void> {
    this.sql('DELETE FROM password_set_outbox WHERE id = ?').run(id);
  }

  async putRequestPin(requestId: string, pinHash: string, at: number): Promise<void> {
    this.sql(
      `INSERT INTO request_pins (request_id, pin_hash, stored_at) VALUES (?, ?, ?)
         ON CONFLICT(request_id) DO UPDATE SET pin_hash = excluded.pin_hash, stored_at = excluded.stored_at`,
    ).run(requestId, pinHash, at);
  }

  async requestPinHash(requestId: string): Promise<string | undefined> {
    const row = this.sql('SELECT pin_hash FROM request_pins WHERE request_id = ?').get(
      requestId,
    ) as { pin_hash: string } | undefined;
    return row?.pin_hash;
  }

  async countHit(bucket: string, now: number, windowMs: number): Promise<HitWindow> {
    const row = this.sql(
      `INSERT INTO rate_limits (bucket, window_end, hits) VALUES (@bucket, @windowEnd, 1)
         ON CONFLICT(bucket) DO UPDATE SET
           hits = CASE WHEN rate_limits.window_end <= @now THEN 1 ELSE rate_limits.hits + 1 END,
           window_end = CASE WHEN rate_limits.window_end <= @now THEN excluded.window_end
             ELSE rate_limits.window_end END
         RETURNING hits, window_end`,
    ).get({ bucket, now, windowEnd: now + windowMs }) as { hits: number; window_end: number };
    return { hits: row.hits, windowEnd: row.window_end };
  }

  async pruneHits(now: number): Promise<number> {
    return this.sql('DELETE FROM rate_limits WHERE window_end <= ?').run(now).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
