// Each setting's value: the environment, else the file, else the default; then checked and
// converted to its kind (durations in milliseconds, keys as buffers).
import { parseDuration } from './duration';
import { envName } from './env';
import { SCHEMA } from './schema';
import type { Section, SettingSpec } from './setting-spec';

/** Every section of the schema, valid values only; each invalid one adds to `problems`. */
export function resolveSettings(
  ini: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  problems: string[],
  /** Variables whose _FILE could not be read: already reported, not "required" again. */
  unread: ReadonlySet<string> = new Set(),
): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const [section, specs] of Object.entries(SCHEMA)) {
    const fromFile = (ini[section] ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(specs as Section)) {
      const envValue = env[envName(section, key)];
      const fileValue = fromFile[key];
      const raw =
        envValue !== undefined
          ? envValue
          : fileValue !== undefined && fileValue !== ''
            ? String(fileValue)
            : spec.default;
      const where = `[${section}] ${key} (or ${envName(section, key)})`;
      if (raw === undefined || (raw.trim() === '' && !spec.optional)) {
        if (unread.has(envName(section, key))) continue;
        problems.push(`${where} is required: ${spec.help}`);
        continue;
      }
      if (raw.trim() === '' && spec.optional && spec.kind === 'int') continue; // left unset
      if (raw.trim() === '' && spec.optional && (spec.kind === 'email' || spec.kind === 'url')) {
        out[key] = ''; // not configured: the feature is off
        continue;
      }
      const parsed = convert(raw.trim(), spec);
      if ('error' in parsed) {
        const shown = spec.secret ? '***' : JSON.stringify(raw);
        problems.push(`${where} = ${shown} is not valid: expected ${parsed.error} (${spec.help})`);
      } else {
        out[key] = parsed.value;
      }
    }
    result[section] = out;
  }
  return result;
}

function convert(raw: string, spec: SettingSpec): { value: unknown } | { error: string } {
  switch (spec.kind) {
    case 'string':
    case 'path':
      return { value: raw };
    case 'url': {
      try {
        const url = new URL(raw);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
        return { value: raw };
      } catch {
        return { error: 'an http:// or https:// URL' };
      }
    }
    case 'email':
      return /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(raw)
        ? { value: raw }
        : { error: 'an e-mail address like name@example.org' };
    case 'int': {
      const n = Number(raw);
      const range = `between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`;
      if (!/^-?\d+$/.test(raw)) return { error: `a whole number ${range}` };
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return { error: `a whole number ${range}` };
      }
      return { value: n };
    }
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === undefined || ms <= 0
        ? { error: 'a positive duration such as 90s, 30m, 48h or 7d (a bare number is seconds)' }
        : { value: ms };
    }
    case 'choice':
      return spec.choices?.includes(raw)
        ? { value: raw }
        : { error: `one of ${spec.choices?.join(', ')}` };
    case 'list':
      return {
        value: raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      };
    case 'durations': {
      if (raw.toLowerCase() === 'none') return { value: [] };
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const values = items.map((item) => parseDuration(item));
      if (values.some((ms) => ms === undefined || ms <= 0)) {
        return { error: 'comma-separated durations such as 1d, 3d, 7d' };
      }
      const ms = values as number[];
      if (ms.some((v, i) => i > 0 && v <= ms[i - 1]!)) {
        return { error: 'durations in increasing order, such as 1d, 3d, 7d' };
      }
      return { value: ms };
    }
    case 'bool':
      if (/^(true|yes|on|1)$/i.test(raw)) return { value: true };
      if (/^(false|no|off|0)$/i.test(raw)) return { value: false };
      return { error: 'true or false' };
    case 'key32': {
      const key = Buffer.from(raw, 'base64');
      return key.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(raw)
        ? { value: key }
        : { error: 'base64 of exactly 32 random bytes; make one with: openssl rand -base64 32' };
    }
  }
}
