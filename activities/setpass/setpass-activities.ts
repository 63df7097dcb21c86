import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type {
  EnsuredWithLink,
  EnsureUserWithLinkInput,
  IssueSetpassTokenInput,
  PinSource,
} from '../../shared/activity-contracts';
import type { KeystoneClient } from '../../clients/keystone';
import { SetpassAdmin } from '../../clients/setpass-admin';
import { claimTag } from '../openstack/openstack-activities';
import { accountExists, findOrCreateUser, madeBy } from '../openstack/users';

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

  const setpass = new SetpassAdmin(keystone, setpassUrl, timeoutMs);

  /** Registers the password with setpass under the PIN; setpass answers with the link's token. */
  async function registerLink(
    userId: string,
    password: string,
    { pin, pinRequest, workflowId }: PinSource & { workflowId: string },
  ): Promise<string> {
    const response = await setpass.registerPassword(
      userId,
      password,
      pin !== undefined ? { pin } : { pin_request: pinRequest },
      workflowId,
    );
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
      ...link
    }: IssueSetpassTokenInput): Promise<{ token: string }> {
      return classified(async () => {
        const password = temporaryPassword();
        await setPassword(userId, password);
        return { token: await registerLink(userId, password, link) };
      });
    },

    /**
     * Kills the user's set-password link if this onboarding issued it (a reset's link is left
     * alone); idempotent: a link already used, revoked or never issued answers the same.
     */
    async revokeSetpassLink({
      userId,
      workflowId,
    }: {
      userId: string;
      workflowId: string;
    }): Promise<{ revoked: boolean }> {
      return classified(async () => ({ revoked: await setpass.revokeLink(userId, workflowId) }));
    },

    /** A /register PIN's HMAC, kept by setpass until the onboarding's link uses it. */
    async keepRequestPin({ requestId, pinHash }: { requestId: string; pinHash: string }) {
      await classified(async () => {
        await setpass.keepRequestPin(requestId, pinHash);
      });
    },

    /**
     * A new user created with its random temporary password in one request, marked as made by
     * this onboarding, and the link to replace it: ensureUser and issueSetpassToken in one step.
     * An account found under the address gets a fresh password only if this onboarding made it
     * (an earlier attempt of this step); anyone else's account is refused, untouched.
     */
    async ensureUserWithLink(input: EnsureUserWithLinkInput): Promise<EnsuredWithLink> {
      const { email, fullName, defaultProjectId, ...link } = input;
      return classified(async () => {
        const password = temporaryPassword();
        const claim = claimTag(link.workflowId);
        const { id, created, user } = await findOrCreateUser(
          keystone,
          domainId,
          { email, fullName, defaultProjectId },
          { password, claim },
        );
        if (!created) {
          if (!user || !madeBy(user, claim)) throw accountExists(email);
          await setPassword(id, password);
        }
        return { id, created, token: await registerLink(id, password, link) };
      });
    },
  };
}
