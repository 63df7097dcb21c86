import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { httpRequest } from '../../lib/http';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type {
  EnsuredWithLink,
  EnsureUserWithLinkInput,
  IssueSetpassTokenInput,
} from '../../shared/activities';
import type { KeystoneClient } from '../openstack/keystone';
import { findOrCreateUser } from '../openstack/users';

export interface SetpassDeps {
  keystone: KeystoneClient;
  domainId: string;
  setpassUrl: string;
  timeoutMs: number;
}

/** 24 random bytes from the OS CSPRNG: 192 bits, well above the 128 required. */
export function temporaryPassword(): string {
  return randomBytes(24).toString('base64url');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,128}$/;

// The temporary password never leaves these functions except to Keystone and setpass, so it never
// reaches workflow history. Running either again issues a new token and kills the old one.
export function createSetpassActivities({
  keystone,
  domainId,
  setpassUrl,
  timeoutMs,
}: SetpassDeps) {
  const setPassword = (userId: string, password: string) =>
    keystone.request('PATCH', `/users/${encodeURIComponent(userId)}`, { user: { password } });

  /** Registers the password with setpass under the PIN; setpass answers with the link's token. */
  async function registerLink(
    userId: string,
    password: string,
    { pin, workflowId }: { pin: string; workflowId: string },
  ): Promise<string> {
    const response = await httpRequest({
      service: 'setpass',
      method: 'PUT',
      url: new URL(`token/${encodeURIComponent(userId)}`, setpassUrl).toString(),
      headers: { 'x-auth-token': await keystone.token() },
      body: { password, pin, workflow_id: workflowId },
      timeoutMs,
    });
    const token = response.text.trim();
    // Never mail something that is not a token (the original once mailed an error page).
    if (!TOKEN_SHAPE.test(token)) {
      throw ApplicationFailure.nonRetryable(
        `setpass answered ${response.status} without a token`,
        FailureType.setpassRejected,
      );
    }
    return token;
  }

  return {
    /** Gives an existing user a fresh random temporary password and a link to replace it. */
    async issueSetpassToken({
      userId,
      pin,
      workflowId,
    }: IssueSetpassTokenInput): Promise<{ token: string }> {
      return classified(async () => {
        const password = temporaryPassword();
        await setPassword(userId, password);
        return { token: await registerLink(userId, password, { pin, workflowId }) };
      });
    },

    /**
     * A new user created with its random temporary password in one request (an existing one is
     * given a fresh password), and the link to replace it: ensureUser and issueSetpassToken in
     * one step, one Keystone request fewer.
     */
    async ensureUserWithLink({
      pin,
      workflowId,
      ...user
    }: EnsureUserWithLinkInput): Promise<EnsuredWithLink> {
      return classified(async () => {
        const password = temporaryPassword();
        const { id, created } = await findOrCreateUser(keystone, domainId, user, password);
        if (!created) await setPassword(id, password);
        return { id, created, token: await registerLink(id, password, { pin, workflowId }) };
      });
    },
  };
}
