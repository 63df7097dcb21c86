// The setpass token store: one row per user, at most one live token each.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface TokenRecord {
  userId: string;
  tokenHash: string;
  pinHash: string;
  passwordSealed: Buffer;
  workflowId: string | null;
  updatedAt: number;
  attempts: number;
}

interface Row {
  user_id: string;
  token_hash: string;
  pin_hash: string;
  password_sealed: Buffer;
  workflow_id: string | null;
  updated_at: number;
  attempts: number;
}

const toRecord = (row: Row): TokenRecord => ({
  userId: row.user_id,
  tokenHash: row.token_hash,
  pinHash: row.pin_hash,
  passwordSealed: row.password_sealed,
  workflowId: row.workflow_id,
  updatedAt: row.updated_at,
  attempts: row.attempts,
});

export class TokenStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tokens (
      user_id TEXT PRIMARY KEY,
      token_hash TEXT NOT NULL UNIQUE,
      pin_hash TEXT NOT NULL,
      password_sealed BLOB NOT NULL,
      workflow_id TEXT,
      updated_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0
    )`);
  }

  byUser(userId: string): TokenRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tokens WHERE user_id = ?').get(userId) as
      Row | undefined;
    return row && toRecord(row);
  }

  byTokenHash(tokenHash: string): TokenRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as
      Row | undefined;
    return row && toRecord(row);
  }

  /** Issues (or re-issues) the user's token: the old token dies and the attempt counter restarts. */
  put(record: Omit<TokenRecord, 'attempts'>): void {
    this.db
      .prepare(
        `INSERT INTO tokens (user_id, token_hash, pin_hash, password_sealed, workflow_id, updated_at, attempts)
         VALUES (@userId, @tokenHash, @pinHash, @passwordSealed, @workflowId, @updatedAt, 0)
         ON CONFLICT(user_id) DO UPDATE SET token_hash = excluded.token_hash, pin_hash = excluded.pin_hash,
           password_sealed = excluded.password_sealed, workflow_id = excluded.workflow_id,
           updated_at = excluded.updated_at, attempts = 0`,
      )
      .run(record);
  }

  /** Counts a wrong PIN atomically and returns the new count. */
  countFailedAttempt(userId: string): number {
    const row = this.db
      .prepare('UPDATE tokens SET attempts = attempts + 1 WHERE user_id = ? RETURNING attempts')
      .get(userId) as { attempts: number } | undefined;
    return row?.attempts ?? 0;
  }

  /** Consumes a token; false if it was already consumed (a concurrent request won). */
  consume(tokenHash: string): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE token_hash = ?').run(tokenHash).changes === 1;
  }

  close(): void {
    this.db.close();
  }
}
