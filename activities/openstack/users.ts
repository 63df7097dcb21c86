// Keystone users by name: found case-insensitively, or created (with a password when one is
// given). Shared by ensureUser and the setpass step that creates a user with its link.
import { log } from '@temporalio/activity';
import type { Ensured, EnsureUserInput } from '../../shared/activities';
import type { KeystoneClient } from './keystone';

export async function findOrCreateUser(
  keystone: KeystoneClient,
  domainId: string,
  { email, fullName, defaultProjectId }: EnsureUserInput,
  password?: string,
): Promise<Ensured> {
  const existing = await keystone.findUserByName(email);
  if (existing) return { id: existing.id, created: false };
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
      },
    },
    [409],
  );
  if (response.status === 409)
    return { id: await mustFind(keystone.findUserByName(email), email), created: false };
  const id = response.json<{ user: { id: string } }>().user.id;
  log.info('user created', { user: email, userId: id });
  return { id, created: true };
}

async function mustFind(found: Promise<{ id: string } | undefined>, name: string): Promise<string> {
  const item = await found;
  // 409 but not findable: another domain holds the name, or a race; retrying will tell.
  if (!item) throw new Error(`Keystone reports "${name}" exists but it cannot be found yet`);
  return item.id;
}
