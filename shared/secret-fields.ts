// The one list of payload fields that hold secrets. Whatever shows a decoded payload to a person
// (the codec endpoint behind the Temporal Web UI, the CLI) replaces their values with REDACTED.
// Add a field here when a workflow, activity, signal or update starts carrying a new secret.

export const REDACTED = '«redacted»';

/** Field names compared case-insensitively, at any depth of a payload. */
export const SECRET_FIELDS: readonly string[] = [
  'pin', // the 4-digit PIN chosen on the form (registrations, resets, setpass tokens)
  'token', // a setpass token (issueSetpassToken's result)
  'setpassToken', // the same token on its way into a mail
  'confirmToken', // a form request's confirmation token (registrationRequest, its mail)
  'confirmTokenHash', // its SHA-256: enough to send the confirm Update without the mail
  'tokenHash', // that hash as the confirm-request Update's argument
  'SETPASS_TOKEN_URL', // a link with the setpass token in it, should one reach mail values
  'CONFIRM_URL', // a link with the confirmation token in it, likewise
  'pinHash', // a form PIN's HMAC: not the PIN, but 10 000 guesses away from it with the key
  'password', // any password: temporary, chosen, admin
  'temporaryPassword',
  'originalPassword',
  'original_password',
  'newPassword',
  'adminPwd',
  'admin_pwd',
  'codecKey',
  'setpassKey',
];

const SECRET = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));

export function isSecretField(name: string): boolean {
  return SECRET.has(name.toLowerCase());
}

/** A copy of `value` with every secret field's value replaced by REDACTED, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
      key,
      isSecretField(key) && inner !== undefined && inner !== null ? REDACTED : redactSecrets(inner),
    ]),
  );
}
