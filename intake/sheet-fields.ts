// One declarative table of cell rules per sheet: what a valid cell of each checked column is, and
// what to say when it is not. The sheet parsers, the forms (through the parsers) and the CLI's
// registrations all check with these tables, so a rule changes in one place.
import type { AccessColumn, QuotaColumn } from '../shared/sheet-columns';
import {
  DESCRIPTION_RULE,
  EMAIL_RULE,
  isDescription,
  isEmail,
  isName,
  isPin,
  isTimestamp,
  NAME_RULE,
  PIN_RULE,
  PROJECT_NAME,
  TIMESTAMP_RULE,
} from '../shared/text-rules';

export interface FieldRule {
  valid(value: string): boolean;
  /** What follows the field's name when a value breaks the rule. */
  fault(value: string): string;
}

const rule = (valid: (value: string) => boolean, fault: (value: string) => string): FieldRule => ({
  valid,
  fault,
});
export const PROJECT_NAME_RULE =
  '1-64 letters, digits, space, dot, dash or underscore, starting with a letter or digit';

export const EMAIL = rule(isEmail, () => `is not an e-mail address: ${EMAIL_RULE}`);
export const NAME = rule(isName, () => `must be ${NAME_RULE}`);
export const TIMESTAMP = rule(isTimestamp, () => `must be ${TIMESTAMP_RULE}`);
export const DESCRIPTION = rule(isDescription, () => `must be ${DESCRIPTION_RULE}`);
export const PIN = rule(isPin, () => `must be ${PIN_RULE}`);
export const PROJECT = rule(
  (value) => PROJECT_NAME.test(value),
  (value) => `must be ${PROJECT_NAME_RULE} (not "${value.slice(0, 80)}")`,
);

/** The access sheet's cell rules; the rules between cells (a new user, a project) are code. */
export const ACCESS_FIELDS = {
  email: EMAIL,
  timestamp: TIMESTAMP,
  firstName: NAME,
  lastName: NAME,
  pin: PIN,
  newProjectName: PROJECT,
  existingProjectName: PROJECT,
  projectDescription: DESCRIPTION,
} as const satisfies Partial<Record<AccessColumn, FieldRule>>;

/** The quota sheet's cell rules; the quota values and the end date are code. */
export const QUOTA_FIELDS = {
  email: EMAIL,
  timestamp: TIMESTAMP,
  firstName: NAME,
  lastName: NAME,
  project: PROJECT,
} as const satisfies Partial<Record<QuotaColumn, FieldRule>>;
