import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseIni } from 'ini';
import { REFUSED_QUOTA_KEYS } from '../shared/quota-keys';
import { parseDuration } from './duration';
import { SCHEMA, type Config, type SettingSpec } from './schema';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`configuration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** `KAIZEN_AUTH__ADMIN_PWD` overrides `[auth] admin_pwd`. */
export function envName(section: string, key: string): string {
  return `KAIZEN_${section.toUpperCase()}__${key.toUpperCase()}`;
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

/**
 * `KAIZEN_<SECTION>__<KEY>_FILE=/run/secrets/x` reads the value from that file (Docker and
 * Kubernetes secrets), so a secret never has to sit in the environment itself.
 */
function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, path] of Object.entries(env)) {
    const match = /^KAIZEN_([A-Z0-9_]+?)__([A-Z0-9_]+)_FILE$/.exec(name);
    if (!match || path === undefined) continue;
    const section = SCHEMA[match[1]!.toLowerCase() as keyof typeof SCHEMA] as
      Record<string, SettingSpec> | undefined;
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
    } catch {
      problems.push(`environment: ${name} names ${path}, which cannot be read`);
    }
  }
  return out;
}

/** Pure part of loadConfig, for tests: the parsed INI object plus environment overrides. */
export function parseConfig(
  ini: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  source = 'settings',
): Config {
  const problems: string[] = [];
  const result: Record<string, Record<string, unknown>> = {};
  env = withSecretFiles(env, problems);

  for (const [section, value] of Object.entries(ini)) {
    if (!(section in SCHEMA)) {
      problems.push(
        `${source}: unknown section [${section}]; known: ${Object.keys(SCHEMA).join(', ')}`,
      );
      continue;
    }
    const known = SCHEMA[section as keyof typeof SCHEMA] as Record<string, SettingSpec>;
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
  for (const name of Object.keys(env)) {
    const match = /^KAIZEN_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!match) continue;
    const section = match[1]!.toLowerCase();
    const key = match[2]!.toLowerCase();
    const specs = SCHEMA[section as keyof typeof SCHEMA] as Record<string, SettingSpec> | undefined;
    const known = specs && Object.keys(specs).some((k) => k.toLowerCase() === key);
    if (!known) problems.push(`environment: ${name} names no setting`);
  }

  for (const [section, specs] of Object.entries(SCHEMA)) {
    const fromFile = (ini[section] ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(specs as Record<string, SettingSpec>)) {
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

  const reminder = result.reminder as { schedule?: number[]; abandon_after?: number } | undefined;
  const lastReminder = reminder?.schedule?.at(-1);
  if (lastReminder !== undefined && (reminder?.abandon_after ?? Infinity) <= lastReminder) {
    problems.push(
      '[reminder] abandon_after must be later than the last time in [reminder] schedule, or that reminder is never sent',
    );
  }
  const previous = (result.secrets as { previous_codec_keys?: string[] } | undefined)
    ?.previous_codec_keys;
  previous?.forEach((key, i) => {
    if (Buffer.from(key, 'base64').length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
      problems.push(
        `[secrets] previous_codec_keys: key ${i + 1} is not base64 of 32 bytes (the former codec_key, as it was)`,
      );
    }
  });
  const tls = result.temporal as Record<string, unknown> | undefined;
  if (tls && Boolean(tls.client_cert_file) !== Boolean(tls.client_key_file)) {
    problems.push(
      '[temporal] client_cert_file and client_key_file go together: set both or neither',
    );
  }
  const codec = result.codec as CodecSettings | undefined;
  if (codec) problems.push(...codecProblems(codec));
  if (problems.length > 0) throw new ConfigError(problems);
  return result as Config;
}

/** `127.0.0.1:8089`, `localhost:8089`, `[::1]:8089`: a host and a port, or undefined. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535 || (match[1] !== undefined && isIP(host) !== 6)) return undefined;
  return { host, port };
}

/** Only this machine can connect: localhost, 127.0.0.0/8 or ::1 (a name that resolves is not). */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost') return true;
  const v4 = isIP(lower) === 4 ? lower : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (v4 !== undefined && isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(lower) === 6 && /^(0{0,4}:){2,7}0{0,3}1$/.test(lower);
}

interface CodecSettings {
  listen?: string;
  allowed_origins?: string[];
  auth?: string;
  oidc_issuer?: string;
}

/** [codec] rules between keys; turns `allowed_origins = none` into no origin. */
function codecProblems(codec: CodecSettings): string[] {
  const problems: string[] = [];
  if (codec.allowed_origins?.length === 1 && codec.allowed_origins[0]?.toLowerCase() === 'none') {
    codec.allowed_origins = [];
  }
  for (const origin of codec.allowed_origins ?? []) {
    let canonical: string | undefined;
    try {
      canonical = new URL(origin).origin;
    } catch {
      canonical = undefined;
    }
    if (canonical !== origin) {
      problems.push(
        `[codec] allowed_origins: ${JSON.stringify(origin)} is not an origin as browsers send it: write scheme://host[:port], no path or trailing slash${canonical && canonical !== 'null' ? `, here ${canonical}` : ''}`,
      );
    }
  }
  const listen = codec.listen === undefined ? undefined : parseHostPort(codec.listen);
  if (codec.listen !== undefined && !listen) {
    problems.push(
      `[codec] listen = ${JSON.stringify(codec.listen)} is not valid: expected host:port, e.g. 127.0.0.1:8089 or [::1]:8089`,
    );
  }
  if (codec.auth === 'none' && listen && !isLoopbackHost(listen.host)) {
    problems.push(
      `[codec] auth = none with listen = ${codec.listen}: anyone who can reach that address could read decrypted payloads. ` +
        'Set [codec] listen to a loopback address such as 127.0.0.1:8089 (KAIZEN_CODEC__LISTEN), ' +
        'or set [codec] auth = bearer with oidc_issuer so that only holders of an access token can decode',
    );
  }
  if (codec.auth === 'bearer' && !codec.oidc_issuer) {
    problems.push(
      '[codec] auth = bearer needs [codec] oidc_issuer (or KAIZEN_CODEC__OIDC_ISSUER): the OIDC issuer URL whose access tokens the Web UI passes, e.g. https://login.example.org/realms/kaizen',
    );
  }
  return problems;
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
