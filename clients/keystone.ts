// A small Keystone v3 client: one admin token, reused until shortly before it expires.
import { httpRequest, RequestRejected, type HttpResponse } from '../lib/http';

export interface KeystoneSettings {
  authUrl: string;
  adminUser: string;
  adminPassword: string;
  adminProject: string;
  domainId: string;
  timeoutMs: number;
}

export interface KeystoneProject {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
  tags?: string[];
}

export interface KeystoneUser {
  id: string;
  name: string;
  domain_id: string;
  email?: string;
  description?: string;
  /** The claim tag of the onboarding that made the account (users.ts, MADE_BY_ATTRIBUTE). */
  kaizen_onboarding?: string;
}

const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

export class KeystoneClient {
  private adminToken?: { id: string; expiresAt: number; catalog: CatalogEntry[] };

  constructor(private readonly settings: KeystoneSettings) {}

  private url(path: string): string {
    return `${this.settings.authUrl.replace(/\/+$/, '')}${path}`;
  }

  private async fetchAdminToken(): Promise<string> {
    const s = this.settings;
    const response = await httpRequest({
      service: 'Keystone',
      method: 'POST',
      url: this.url('/auth/tokens'),
      timeoutMs: s.timeoutMs,
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: { name: s.adminUser, domain: { id: s.domainId }, password: s.adminPassword },
            },
          },
          scope: { project: { name: s.adminProject, domain: { id: s.domainId } } },
        },
      },
    });
    const id = response.headers.get('x-subject-token');
    if (!id) throw new Error('Keystone issued no X-Subject-Token for the admin user');
    const { token } = response.json<{ token: { expires_at: string; catalog?: CatalogEntry[] } }>();
    this.adminToken = { id, expiresAt: Date.parse(token.expires_at), catalog: token.catalog ?? [] };
    return id;
  }

  async token(): Promise<string> {
    if (this.adminToken && this.adminToken.expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) {
      return this.adminToken.id;
    }
    return this.fetchAdminToken();
  }

  /** An admin request to Keystone; see adminRequest. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    accept?: number[],
  ): Promise<HttpResponse> {
    return this.adminRequest({ service: 'Keystone', method, url: this.url(path), body, accept });
  }

  /**
   * A request with the admin token to any OpenStack service; a 401 (token revoked or expired
   * early) gets one fresh token and one retry.
   */
  async adminRequest(req: {
    service: string;
    method: string;
    url: string;
    body?: unknown;
    accept?: number[];
    headers?: Record<string, string>;
  }): Promise<HttpResponse> {
    const send = async (token: string) =>
      httpRequest({
        ...req,
        headers: { ...req.headers, 'x-auth-token': token },
        timeoutMs: this.settings.timeoutMs,
      });
    try {
      return await send(await this.token());
    } catch (err) {
      if (!(err instanceof RequestRejected && err.status === 401)) throw err;
      this.adminToken = undefined;
      return send(await this.fetchAdminToken());
    }
  }

  /**
   * The URL of a service from the admin token's catalog (Keystone has already put the admin
   * project's id into templated URLs such as Cinder's).
   */
  async endpoint(type: string, iface: string, region: string): Promise<string> {
    await this.token();
    const entry = this.adminToken?.catalog.find((c) => c.type === type);
    const found = entry?.endpoints.find(
      (e) => e.interface === iface && (e.region_id ?? e.region) === region,
    );
    if (!found) {
      throw new RequestRejected(
        'Keystone',
        404,
        `no ${iface} endpoint of type ${type} in region ${region} in the catalog: check [openstack] interface and region`,
        'catalog lookup',
      );
    }
    return found.url.replace(/\/+$/, '');
  }

  /** Keystone on PostgreSQL compares names case-sensitively; operators and users expect it not to. */
  async findProjectByName(name: string): Promise<KeystoneProject | undefined> {
    const query = new URLSearchParams({ domain_id: this.settings.domainId, name__icontains: name });
    const { projects } = (await this.request('GET', `/projects?${query}`)).json<{
      projects: KeystoneProject[];
    }>();
    return projects.find((p) => p.name.toLowerCase() === name.toLowerCase());
  }

  async findUserByName(name: string): Promise<KeystoneUser | undefined> {
    const query = new URLSearchParams({ domain_id: this.settings.domainId, name__icontains: name });
    const { users } = (await this.request('GET', `/users?${query}`)).json<{
      users: KeystoneUser[];
    }>();
    return users.find((u) => u.name.toLowerCase() === name.toLowerCase());
  }

  async findRoleByName(name: string): Promise<{ id: string; name: string } | undefined> {
    const query = new URLSearchParams({ name });
    const { roles } = (await this.request('GET', `/roles?${query}`)).json<{
      roles: { id: string; name: string }[];
    }>();
    return roles.find((r) => r.name === name);
  }

  /**
   * Checks that `token` can be scoped to the admin project, i.e. belongs to an admin.
   * Resolves false when Keystone refuses it (401/403/404), throws when Keystone is unreachable.
   */
  async canScopeToAdminProject(token: string): Promise<boolean> {
    return this.authenticates({
      identity: { methods: ['token'], token: { id: token } },
      scope: {
        project: { name: this.settings.adminProject, domain: { id: this.settings.domainId } },
      },
    });
  }

  /** Whether `password` is the user's password now (an unscoped password login). */
  async passwordWorks(userId: string, password: string): Promise<boolean> {
    return this.authenticates({
      identity: { methods: ['password'], password: { user: { id: userId, password } } },
    });
  }

  /** Whether Keystone issues a token for this `auth` body (the token itself is not kept). */
  private async authenticates(auth: object): Promise<boolean> {
    const response = await httpRequest({
      service: 'Keystone',
      method: 'POST',
      url: this.url('/auth/tokens'),
      timeoutMs: this.settings.timeoutMs,
      accept: [400, 401, 403, 404],
      body: { auth },
    });
    return response.status === 201;
  }

  /**
   * Changes a password the way a user does, proving knowledge of the current one.
   * Returns 'changed', 'wrong-original' (401) or { refused: reason } when the new password
   * breaks the password policy (400).
   */
  async changePassword(
    userId: string,
    originalPassword: string,
    password: string,
  ): Promise<'changed' | 'wrong-original' | { refused: string }> {
    const response = await httpRequest({
      service: 'Keystone',
      method: 'POST',
      url: this.url(`/users/${encodeURIComponent(userId)}/password`),
      timeoutMs: this.settings.timeoutMs,
      accept: [400, 401],
      body: { user: { original_password: originalPassword, password } },
    });
    if (response.status === 401) return 'wrong-original';
    if (response.status === 400) {
      let reason = 'the password does not meet the password rules';
      try {
        reason = response.json<{ error: { message: string } }>().error.message;
      } catch {
        // keep the generic reason
      }
      return { refused: reason };
    }
    return 'changed';
  }
}
