// Every setting, declared once: section, key, kind, default and help.
// The loader checks values against this at start-up; nothing else reads settings.ini.
// Sections are declared in sections/ by job and named as in the file; the order here is the
// order of settings.ini and of the loader's messages.
import { approvers, email_defaults, helpdesk, mail, reminder } from './sections/mail';
import { columns, intake, quota_columns, quota_sheet } from './sections/intake';
import { auth, openstack, quotas, secrets, temporal } from './sections/platform';
import { codec, forms, reset, setpass } from './sections/services';
import type { Kind, Section } from './setting-spec';

export type { Kind, SettingSpec } from './setting-spec';

export const SCHEMA = {
  auth,
  temporal,
  secrets,
  setpass,
  codec,
  reset,
  forms,
  intake,
  columns,
  quota_sheet,
  quota_columns,
  openstack,
  quotas,
  reminder,
  helpdesk,
  approvers,
  mail,
  email_defaults,
} as const satisfies Record<string, Section>;

type Schema = typeof SCHEMA;
type KindOf<T> = T extends { kind: infer K extends Kind } ? K : never;
type ValueOf<K extends Kind> = K extends 'int' | 'duration'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'key32'
      ? Buffer
      : K extends 'list'
        ? string[]
        : K extends 'durations'
          ? number[]
          : string;

/** The validated configuration: durations in milliseconds, keys as 32-byte buffers. */
export type Config = {
  [S in keyof Schema]: { [K in keyof Schema[S]]: ValueOf<KindOf<Schema[S][K]>> };
};
