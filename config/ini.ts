// The parsed settings file against the schema: every section and key in it must be one the
// schema declares, so a typo is reported instead of silently falling back to a default.
import { REFUSED_QUOTA_KEYS } from '../shared/quota-keys';
import { SCHEMA } from './schema';
import type { Section } from './setting-spec';

export function checkIniKeys(
  ini: Record<string, unknown>,
  source: string,
  problems: string[],
): void {
  for (const [section, value] of Object.entries(ini)) {
    if (!(section in SCHEMA)) {
      problems.push(
        `${source}: unknown section [${section}]; known: ${Object.keys(SCHEMA).join(', ')}`,
      );
      continue;
    }
    const known = SCHEMA[section as keyof typeof SCHEMA] as Section;
    if (typeof value !== 'object' || value === null) {
      problems.push(`${source}: "${section}" must be a section header [${section}]`);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!(key in known) && section === 'quotas' && key in REFUSED_QUOTA_KEYS) {
        problems.push(`${source}: [quotas] ${key} cannot be set: ${REFUSED_QUOTA_KEYS[key]}`);
      } else if (!(key in known)) {
        problems.push(
          `${source}: unknown key [${section}] ${key}; known keys: ${Object.keys(known).join(', ')}`,
        );
      }
    }
  }
}
