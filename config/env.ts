// Environment overrides: `KAIZEN_<SECTION>__<KEY>` beats settings.ini, and
// `KAIZEN_<SECTION>__<KEY>_FILE` reads that value from a file.
import { readFileSync } from 'node:fs';
import { SCHEMA } from './schema';
import type { Section } from './setting-spec';

/** `KAIZEN_AUTH__ADMIN_PWD` overrides `[auth] admin_pwd`. */
export function envName(section: string, key: string): string {
  return `KAIZEN_${section.toUpperCase()}__${key.toUpperCase()}`;
}

/**
 * `KAIZEN_<SECTION>__<KEY>_FILE=/run/secrets/x` reads the value from that file (Docker and
 * Kubernetes secrets), so a secret never has to sit in the environment itself.
 */
export function withSecretFiles(
  env: NodeJS.ProcessEnv,
  problems: string[],
  /** Collects the variables whose file could not be read: one problem each is enough. */
  unread = new Set<string>(),
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, path] of Object.entries(env)) {
    const match = /^KAIZEN_([A-Z0-9_]+?)__([A-Z0-9_]+)_FILE$/.exec(name);
    if (!match || path === undefined) continue;
    const section = SCHEMA[match[1]!.toLowerCase() as keyof typeof SCHEMA] as Section | undefined;
    const key = match[2]!.toLowerCase();
    // [intake] local_file and the like are settings of their own, not file references.
    if (!section || !(key in section) || `${key}_file` in section) continue;
    const target = name.slice(0, -'_FILE'.length);
    delete out[name];
    if (env[target] !== undefined) {
      problems.push(`environment: set ${target} or ${name}, not both`);
      continue;
    }
    try {
      out[target] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const setting = `[${match[1]!.toLowerCase()}] ${key}`;
      unread.add(target);
      problems.push(
        `environment: ${name} names ${path}, which cannot be read (${unreadable(err, setting)})`,
      );
    }
  }
  return out;
}

/** Why a secret file cannot be read, and what mends it: the operator's next step. */
export function unreadable(err: unknown, setting: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const uid = process.getuid?.();
  switch (code) {
    case 'ENOENT':
      return `no such file: write ${setting} into it, or mount it there; with docker compose, list the secret under the service's secrets:`;
    case 'EACCES':
      return `permission denied: let this process's user${uid === undefined ? '' : ` (uid ${uid})`} read it, e.g. chmod a+r on the file`;
    case 'EISDIR':
      return `it is a directory: name the file that holds ${setting}`;
    default:
      return `${code ?? String(err)}: name a readable file that holds ${setting}`;
  }
}

/** A misspelled override would otherwise be ignored without a word. */
export function checkEnvNames(env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const name of Object.keys(env)) {
    const match = /^KAIZEN_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!match) continue;
    const section = match[1]!.toLowerCase();
    const key = match[2]!.toLowerCase();
    const specs = SCHEMA[section as keyof typeof SCHEMA] as Section | undefined;
    const known = specs && Object.keys(specs).some((k) => k.toLowerCase() === key);
    if (!known) problems.push(`environment: ${name} names no setting`);
  }
}
