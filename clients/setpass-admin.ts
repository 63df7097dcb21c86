// The setpass API's admin side, as the worker calls it: register a temporary password under a PIN,
// revoke a link, keep a form's PIN hash. Every call carries a Keystone admin token.
import { httpRequest, type HttpResponse } from '../lib/http';
import type { KeystoneClient } from './keystone';

/** The PIN that guards a link: typed on a sheet or form (`pin`), or kept by setpass (`pin_request`). */
export type LinkPin = { pin: string } | { pin_request: string };

export class SetpassAdmin {
  constructor(
    private readonly keystone: KeystoneClient,
    private readonly setpassUrl: string,
    private readonly timeoutMs: number,
  ) {}

  private async call(method: 'PUT' | 'DELETE', path: string, body?: object): Promise<HttpResponse> {
    return httpRequest({
      service: 'setpass',
      method,
      url: new URL(path, this.setpassUrl).toString(),
      headers: { 'x-auth-token': await this.keystone.token() },
      body,
      timeoutMs: this.timeoutMs,
    });
  }

  /** Registers the password under the PIN; the answer's text should be the link's token. */
  async registerPassword(
    userId: string,
    password: string,
    pin: LinkPin,
    workflowId: string,
  ): Promise<HttpResponse> {
    return this.call('PUT', `token/${encodeURIComponent(userId)}`, {
      password,
      ...pin,
      workflow_id: workflowId,
    });
  }

  /** Kills the user's link if `workflowId` issued it; true when a live link went. */
  async revokeLink(userId: string, workflowId: string): Promise<boolean> {
    const query = new URLSearchParams({ workflow_id: workflowId });
    const response = await this.call('DELETE', `token/${encodeURIComponent(userId)}?${query}`);
    return response.json<{ revoked: boolean }>().revoked;
  }

  async keepRequestPin(requestId: string, pinHash: string): Promise<void> {
    await this.call('PUT', `request-pin/${encodeURIComponent(requestId)}`, { pin_hash: pinHash });
  }
}
