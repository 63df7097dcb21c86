// What text the system accepts from a request, wherever it comes from (sheets, CSV/JSON, the
// reset form). Pure. Values end up in Keystone names, mail headers, workflow ids and sheet cells;
// a character any of those cannot hold must be refused at the door, with the field named, not
// found later as an onboarding retried forever.

/**
 * ASCII only: a Unicode local part (RFC 6531) could look like another person's address, and a
 * mail server without SMTPUTF8 refuses it after the account exists.
 */
const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** RFC 5321's limit of a forward path. */
export const EMAIL_MAX = 254;
export const EMAIL_RULE = `name@example.org, at most ${EMAIL_MAX} characters, with only letters, digits and . _ % + ' - before the @`;

export function isEmail(value: string): boolean {
  return value.length <= EMAIL_MAX && EMAIL.test(value);
}

/** Keystone allows 64 characters; we keep to characters that are safe in mails and URLs. */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/**
 * Controls (NUL, escape, line breaks, tab), lone surrogates, noncharacters (U+FFFE: not even
 * an .xlsx file can hold one), and the invisible or direction-changing characters that make a
 * value read differently from what it is (zero-width space, word joiner, BOM, bidi overrides
 * and isolates). Joiners (U+200C, U+200D) stay: emoji and several scripts need them.
 */
const UNSAFE =
  /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]/u;

export function hasUnsafeCharacter(value: string): boolean {
  return UNSAFE.test(value);
}

/** The setpass PIN: digits the person chose on the form and types on the set-password page. */
export const PIN_DIGITS = 4;
const PIN = new RegExp(`^[0-9]{${PIN_DIGITS}}$`);
export const PIN_RULE = `exactly ${PIN_DIGITS} digits`;
/** The same rule as the page's `pattern` attribute (a hint; the server checks with isPin). */
export const PIN_PATTERN = `[0-9]{${PIN_DIGITS}}`;

export function isPin(value: string): boolean {
  return PIN.test(value);
}

export const NAME_MAX = 100;
export const NAME_RULE = `at most ${NAME_MAX} characters, without < >, line breaks or other control or invisible characters`;

/** A person's name as it goes into Keystone and mails. */
export function isName(value: string): boolean {
  return value.length <= NAME_MAX && !/[<>]/.test(value) && !hasUnsafeCharacter(value);
}

export const DESCRIPTION_MAX = 255;
export const DESCRIPTION_RULE = `at most ${DESCRIPTION_MAX} characters, without control or invisible characters`;

export function isDescription(value: string): boolean {
  return isPlainText(value, DESCRIPTION_MAX);
}

/** Free text of at most `max` characters that a mail, a cell and a Keystone field can hold. */
export function isPlainText(value: string, max: number): boolean {
  return value.length <= max && !hasUnsafeCharacter(value);
}

/** A form's timestamp is short; it becomes part of a workflow id (Temporal caps those). */
export const TIMESTAMP_MAX = 64;
export const TIMESTAMP_RULE = `at most ${TIMESTAMP_MAX} characters without control or invisible characters (the form's own timestamp)`;

export function isTimestamp(value: string): boolean {
  return value.length <= TIMESTAMP_MAX && !hasUnsafeCharacter(value);
}

/** A list of addresses as a person types it (commas, semicolons or spaces), lower case. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[,;\s]+/)
    .map((u) => u.trim().toLowerCase())
    .filter((u) => u !== '');
}
