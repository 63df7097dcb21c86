// The PostgreSQL token store's tables (created or upgraded when a store opens) and its rows.
import type { PasswordSetEvent, TokenRecord } from './token-store';

// BIGINT (int8) columns arrive as strings from pg (they may exceed 2^53); ours hold millisecond
// times and counters, so they are mapped back to numbers per row instead of changing pg's
// process-wide type parsers.
export interface Row {
  user_id: string;
  token_hash: string;
  pin_hash: string;
  pin_binding: string | null;
  password_sealed: Buffer;
  workflow_id: string | null;
  updated_at: string;
  attempts: number;
}

export interface EventRow {
  id: string;
  workflow_id: string;
  user_id: string;
  at: string;
}

export const toRecord = (row: Row): TokenRecord => ({
  userId: row.user_id,
  tokenHash: row.token_hash,
  pinHash: row.pin_hash,
  pinBinding: row.pin_binding,
  passwordSealed: row.password_sealed,
  workflowId: row.workflow_id,
  updatedAt: Number(row.updated_at),
  attempts: row.attempts,
});

export const toEvent = (row: EventRow): PasswordSetEvent => ({
  id: Number(row.id),
  workflowId: row.workflow_id,
  userId: row.user_id,
  at: Number(row.at),
});

export const SCHEMA = `CREATE TABLE IF NOT EXISTS tokens (
    user_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    password_sealed BYTEA NOT NULL,
    workflow_id TEXT,
    updated_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS password_set_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  -- Databases made before pin_binding (v0.1.0) get it; older APIs ignore it (SELECT *).
  ALTER TABLE tokens ADD COLUMN IF NOT EXISTS pin_binding TEXT;
  CREATE TABLE IF NOT EXISTS request_pins (
    request_id TEXT PRIMARY KEY,
    pin_hash TEXT NOT NULL,
    stored_at BIGINT NOT NULL
  );
  -- The request forms' rate-limit windows (added after v0.1.0, whose API never reads them).
  CREATE TABLE IF NOT EXISTS rate_limits (
    bucket TEXT PRIMARY KEY,
    window_end BIGINT NOT NULL,
    hits INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS rate_limits_window_end ON rate_limits (window_end);`;

// Any constant works: it only serialises concurrent schema creation (two processes starting at
// once), which CREATE TABLE IF NOT EXISTS alone does not (it can fail on pg_type's unique index).
export const SCHEMA_LOCK = 0x5e7_9a55;
