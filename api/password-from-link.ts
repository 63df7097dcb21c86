// Setting a password from a link, without HTTP: the token, the PIN and the new password in, an
// outcome out. The route around it checks the form (both passwords, length, CSRF) and renders.
import type { RouteDeps } from './route-deps';
import { EXPIRED, LOCKED, NOT_FOUND, RETIRED_KEY, WITHDRAWN, type Outcome } from './respond';
import { hashToken, RetiredKeyError } from './secrets';
import type { TokenRecord } from './token-store';

export type SetPasswordOutcome =
  | { kind: 'set' }
  /** The link cannot be used (unknown, expired, locked, overtaken): a page that says so. */
  | { kind: 'link-refused'; outcome: Outcome }
  /** The form again, saying why (wrong PIN, password refused). */
  | { kind: 'try-again'; status: number; error: string };

type Deps = Pick<
  RouteDeps,
  | 'store'
  | 'secrets'
  | 'keystone'
  | 'onPasswordSet'
  | 'maxAttempts'
  | 'tokenExpirationMs'
  | 'now'
  | 'log'
>;

/** Expired and locked links are refused before the PIN is looked at: no guessing on them. */
export function tokenProblem(record: TokenRecord, deps: Deps): Outcome | undefined {
  if (deps.now() - record.updatedAt > deps.tokenExpirationMs) return EXPIRED;
  if (record.attempts >= deps.maxAttempts) return LOCKED;
  return undefined;
}

/** What the link alone decides: unknown and used tokens (both gone) alike, then expired, locked. */
export async function linkProblem(deps: Deps, token: string): Promise<Outcome | undefined> {
  const record = await deps.store.byTokenHash(hashToken(token));
  return record ? tokenProblem(record, deps) : NOT_FOUND;
}

export async function setPassword(
  deps: Deps,
  { token, pin, password }: { token: string; pin: string; password: string },
): Promise<SetPasswordOutcome> {
  const refused = (outcome: Outcome) => ({ kind: 'link-refused', outcome }) as const;
  const again = (status: number, error: string) => ({ kind: 'try-again', status, error }) as const;
  const tokenHash = hashToken(token);
  const record = await deps.store.byTokenHash(tokenHash);
  if (!record) return refused(NOT_FOUND);
  const problem = tokenProblem(record, deps);
  if (problem) return refused(problem);
  // A PIN chosen on the form was hashed before the user existed: bound to its request instead.
  const pinCheck = deps.secrets.checkPin(record.pinBinding ?? record.userId, pin, record.pinHash);
  if (pinCheck === 'retired-key') return retired(deps, record.userId, 'PIN hash');
  if (pinCheck === 'wrong') {
    const attempts = await deps.store.countFailedAttempt(record.userId);
    if (attempts === 0) return refused(NOT_FOUND); // revoked (or re-issued) meanwhile
    const left = deps.maxAttempts - attempts;
    deps.log('wrong pin', { userId: record.userId, attempts });
    if (left <= 0) return refused(LOCKED);
    return again(
      403,
      `Wrong PIN. ${left} attempt${left === 1 ? '' : 's'} left before this link is locked.`,
    );
  }
  if (password === pin) return again(400, 'Your password must be different from your PIN.');

  let temporary: string;
  try {
    temporary = deps.secrets.decrypt(record.userId, record.passwordSealed);
  } catch (err) {
    if (err instanceof RetiredKeyError) return retired(deps, record.userId, 'temporary password');
    throw err;
  }
  let result = await deps.keystone.changePassword(record.userId, temporary, password);
  // The API stopped after Keystone took this very password but before the token was used
  // up: the person retrying with it finishes what they started.
  if (result === 'wrong-original' && (await deps.keystone.passwordWorks(record.userId, password))) {
    deps.log('password was already set by this link; finishing', { userId: record.userId });
    result = 'changed';
  }
  if (result === 'wrong-original') {
    // The account's password was changed elsewhere: this link can no longer work.
    deps.log('temporary password no longer valid', { userId: record.userId });
    return refused({
      status: 409,
      title: 'Link no longer valid',
      message: "This account's password was already changed. Ask for a new link if you need one.",
      offerReset: true,
    });
  }
  if (result !== 'changed')
    return again(400, `The password was refused: ${passwordPolicyReason(result.refused)}`);
  const event = record.workflowId
    ? { workflowId: record.workflowId, userId: record.userId, at: deps.now() }
    : undefined;
  // Revoked (a cancel) or used by a second submit while Keystone changed the password.
  if (!(await deps.store.consume(tokenHash, event))) return refused(WITHDRAWN);
  deps.log('password set', { userId: record.userId });
  if (event) deps.onPasswordSet();
  return { kind: 'set' };
}

/**
 * The link's secrets were made under a setpass key dropped from the settings: no PIN can open it.
 * The person is offered the reset form; the log tells the admins (no attempt is counted).
 */
function retired(deps: Deps, userId: string, what: string): SetPasswordOutcome {
  deps.log('link made under a retired setpass key', { userId, what });
  return { kind: 'link-refused', outcome: RETIRED_KEY };
}

/** Keystone says "Password validation error: The password does not meet the requirements: <rule>". */
function passwordPolicyReason(message: string): string {
  const rule = /requirements?:\s*(.+)$/i.exec(message)?.[1];
  return rule ? rule.trim() : 'it does not meet the password rules.';
}
