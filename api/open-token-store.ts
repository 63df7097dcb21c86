import type { TokenStore } from './token-store';
import { PostgresTokenStore, redactDatabaseUrl } from './token-store-postgres';
import { SqliteTokenStore } from './token-store-sqlite';

const isPostgresUrl = (database: string) => /^postgres(ql)?:\/\//i.test(database);

/**
 * Opens the token store the `database` setting names: a postgres:// or postgresql:// URL opens
 * PostgreSQL, anything else is the path of a SQLite file.
 */
export async function openTokenStore(database: string): Promise<TokenStore> {
  if (isPostgresUrl(database)) return PostgresTokenStore.open(database);
  try {
    return new SqliteTokenStore(database);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`[setpass] database: cannot open SQLite file ${database}: ${reason}`, {
      cause: err,
    });
  }
}

/** Names the store for logs without its password, e.g. "PostgreSQL postgresql://u:***@db/setpass". */
export function describeTokenStore(database: string): string {
  return isPostgresUrl(database)
    ? `PostgreSQL ${redactDatabaseUrl(database)}`
    : `SQLite ${database}`;
}
