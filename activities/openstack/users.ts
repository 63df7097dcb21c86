// Keystone users by name: found case-insensitively, or created (with a password when one is
// given). Shared by ensureUser and the setpass step that creates a user with its link.
import { ApplicationFailure, log } from '@temporalio/activity';
import type { Ensured, EnsureUserInput } from '../../shared/activity-contracts';
import { FailureType } from '../../shared/failures';
import type { KeystoneClient, KeystoneUser } from '../../clients/keystone';

/**
 * The Keystone attribute (kept in the user's `extra`, returned on every read) naming the
 * onboarding that made an account: only that onboarding may give it a new temporary password.
 */
export const MADE_BY_ATTRIBUTE = 'kaizen_onboarding';

/** Whether this account was made by the onboarding whose claim tag is `claim`. */
export function madeBy(user: KeystoneUser, claim: string): boolean {
  return user[MADE_BY_ATTRIBUTE] === claim;
}

/** A new user's address already names an account this onboarding did not make. */
export function accountExists(email: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${email} has an account already: answer "Yes" to "Existing account?" (nothing was changed in Keystone)`,
    FailureType.accountExists,
  );
}

export async function findOrCreateUser(
  keystone: KeystoneClient,
  domainId: string,
  { email, fullName, defaultProjectId }: EnsureUserInput,
  options: { password?: string; claim?: string } = {},
): Promise<Ensured & { user?: KeystoneUser }> {
  const existing = await keystone.findUserByName(email);
  if (existing) return { id: existing.id, created: false, user: existing };
  const { password, claim } = options;
  const response = await keystone.request(
    'POST',
    '/users',
    {
      user: {
        name: email,
        email,
        description: fullName,
        domain_id: domainId,
        default_project_id: defaultProjectId,
        enabled: true,
        ...(password === undefined ? {} : { password }),
        ...(claim === undefined ? {} : { [MADE_BY_ATTRIBUTE]: claim }),
      },
    },
    [409],
  );
  if (response.status === 409) {
    const user = await keystone.findUserByName(email);
    // 409 but not findable: another domain holds the name, or a race; retrying will tell.
    if (!user) throw new Error(`Keystone reports "${email}" exists but it cannot be found yet`);
    return { id: user.id, created: false, user };
  }
  const id = response.json<{ user: { id: string } }>().user.id;
  log.info('user created', { user: email, userId: id });
  return { id, created: true };
}
