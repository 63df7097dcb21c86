// Start-up configuration: settings.ini, then environment overrides, checked against the schema.
// The jobs live apart: ini.ts (the file's sections and keys), env.ts (overrides and _FILE
// secrets), coerce.ts (each value), rules.ts (rules between values).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseIni } from 'ini';
import { resolveSettings } from './coerce';
import { checkEnvNames, withSecretFiles } from './env';
import { checkIniKeys } from './ini';
import { checkCrossKeys } from './rules';
import type { Config } from './schema';

export { envName } from './env';
export { isLoopbackHost, parseHostPort } from './rules';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`configuration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_SETTINGS_FILE = 'settings.ini';

/**
 * Reads the settings file named by KAIZEN_SETTINGS (default settings.ini), applies
 * KAIZEN_<SECTION>__<KEY> overrides and validates everything against the schema.
 * Throws ConfigError listing every problem, each naming the key and what is expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = resolve(env.KAIZEN_SETTINGS ?? DEFAULT_SETTINGS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([
      `settings file ${file} cannot be read: copy example_settings.ini to settings.ini and fill it in, or point KAIZEN_SETTINGS at your file`,
    ]);
  }
  return parseConfig(parseIni(text) as Record<string, unknown>, env, file);
}

/** Pure part of loadConfig, for tests: the parsed INI object plus environment overrides. */
export function parseConfig(
  ini: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  source = 'settings',
): Config {
  // One list for every problem, in this order, so the operator fixes them all in one go.
  const problems: string[] = [];
  const unread = new Set<string>();
  env = withSecretFiles(env, problems, unread);
  checkIniKeys(ini, source, problems);
  checkEnvNames(env, problems);
  const result = resolveSettings(ini, env, problems, unread);
  checkCrossKeys(result, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return result as Config;
}
