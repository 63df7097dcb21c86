import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { httpRequest } from '../../lib/http';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type { IssueSetpassTokenInput } from '../../shared/activities';
import type { KeystoneClient } from '../openstack/keystone';

export interface SetpassDeps {
  keystone: KeystoneClient;
  setpassUrl: string;
  timeoutMs: number;
}

/** 24 random bytes from the OS CSPRNG: 192 bits, well above the 128 required. */
export function temporaryPassword(): string {
  return randomBytes(24).toString('base64url');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,128}$/;

export function createSetpassActivities({ keystone, setpassUrl, timeoutMs }: SetpassDeps) {
  return {
    /**
     * Gives the user a fresh random temporary password and registers it with setpass under the
     * PIN. The password never leaves this function except to Keystone and setpass, so it never
     * reaches workflow history. Running it again issues a new token and kills the old one.
     */
    async issueSetpassToken({
      userId,
      pin,
      workflowId,
    }: IssueSetpassTokenInput): Promise<{ token: string }> {
      return classified(async () => {
        const password = temporaryPassword();
        await keystone.request('PATCH', `/users/${encodeURIComponent(userId)}`, {
          user: { password },
        });
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
        return { token };
      });
    },
  };
}
