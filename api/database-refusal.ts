// PostgreSQL's answers that no retry can change: the login or the database named in
// [setpass] database is wrong. Start-up reports them as bad configuration (a ConfigError), which
// the image does not restart in a loop; an unreachable server stays an ordinary, retried failure.

/** SQLSTATE codes of a refused login or a missing database, and what mends each. */
const REFUSALS: Record<string, string> = {
  '28P01': 'put the right password in the URL',
  '28000': 'use a user the server lets in from here (the role exists, and pg_hba.conf allows it)',
  '3D000': 'create that database (CREATE DATABASE …), or name an existing one in the URL',
};

/** The SQLSTATE of `err` or of an error in its cause chain. */
function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The problem line for a refusal, naming the setting and the fix; undefined for any other error.
 * `where` is the URL with its password masked; PostgreSQL's own message never holds the password.
 */
export function databaseRefusal(err: unknown, where: string): string | undefined {
  const code = sqlState(err);
  const fix = code === undefined ? undefined : REFUSALS[code];
  if (fix === undefined) return undefined;
  const said = err instanceof Error ? err.message : String(err);
  return (
    `[setpass] database (or KAIZEN_SETPASS__DATABASE, or the file KAIZEN_SETPASS__DATABASE_FILE names): ` +
    `PostgreSQL at ${where} refused it (${code}: ${said}): ${fix}`
  );
}
