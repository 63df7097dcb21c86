// What one setting is: its kind, help and default. The section files declare settings with
// `setting`; schema.ts assembles them.
export type Kind =
  | 'string'
  | 'url'
  | 'int'
  | 'duration'
  | 'bool'
  | 'key32'
  | 'email'
  | 'path'
  | 'choice'
  | 'list'
  | 'durations';

export interface SettingSpec {
  kind: Kind;
  help: string;
  /** Omitted: the setting is required. */
  default?: string;
  /** Shown as *** in messages and never logged. */
  secret?: boolean;
  min?: number;
  max?: number;
  /** An empty value is allowed (e.g. an optional CA file). */
  optional?: boolean;
  /** For kind 'choice': the accepted values. */
  choices?: readonly string[];
}

/** One `[section]` of settings.ini: key → spec. */
export type Section = Record<string, SettingSpec>;

/** Keeps the literal kind in the type, so Config can give each key its value type. */
export const setting = <K extends Kind>(
  kind: K,
  help: string,
  extra: Omit<SettingSpec, 'kind' | 'help'> = {},
): SettingSpec & { kind: K } => ({
  kind,
  help,
  ...extra,
});
