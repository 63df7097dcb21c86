// What integration tests need from the local services that scripts/services.sh started.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with npm test (it starts the services and sources .state/services.env)`,
    );
  }
  return value;
}

export const mailpitApi = () => required('KAIZEN_MAILPIT_API');
export const temporalCli = () => required('TEMPORAL_CLI');

/** Settings for one test: the example file, the services' environment, and a private token store. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  required('KAIZEN_AUTH__ADMIN_PWD');
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-test-'));
  return loadConfig({
    ...process.env,
    KAIZEN_SETTINGS: 'example_settings.ini',
    KAIZEN_SETPASS__DATABASE: join(dir, 'setpass.sqlite'),
    ...overrides,
  });
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface MailpitMessage {
  ID: string;
  MessageID: string;
  Subject: string;
  To: { Address: string }[];
}

/** Messages to an address; `cc` finds those where it is in copy instead. */
export async function mailsTo(
  address: string,
  field: 'to' | 'cc' = 'to',
): Promise<MailpitMessage[]> {
  const query = new URLSearchParams({ query: `${field}:"${address}"` });
  const response = await fetch(`${mailpitApi()}/api/v1/search?${query}`);
  if (!response.ok) throw new Error(`Mailpit search answered ${response.status}`);
  return ((await response.json()) as { messages: MailpitMessage[] }).messages;
}

export async function mailText(id: string): Promise<string> {
  const response = await fetch(`${mailpitApi()}/api/v1/message/${id}`);
  if (!response.ok) throw new Error(`Mailpit message answered ${response.status}`);
  return ((await response.json()) as { Text: string }).Text;
}

export async function mailRaw(id: string): Promise<string> {
  const response = await fetch(`${mailpitApi()}/api/v1/message/${id}/raw`);
  if (!response.ok) throw new Error(`Mailpit raw answered ${response.status}`);
  return response.text();
}

/** Authenticates a user against Keystone (scoped to a project if given); status and token. */
export async function keystoneLogin(
  config: Config,
  name: string,
  password: string,
  projectId?: string,
): Promise<{ status: number; token?: string }> {
  const response = await fetch(`${config.auth.auth_url}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name, domain: { id: 'default' }, password } },
        },
        ...(projectId ? { scope: { project: { id: projectId } } } : {}),
      },
    }),
  });
  await response.text();
  return { status: response.status, token: response.headers.get('x-subject-token') ?? undefined };
}

/** An admin token from the real Keystone, scoped to the admin project (the product's own client). */
export function adminToken(config: Config): Promise<string> {
  return keystoneFromConfig(config).token();
}

/** Creates a Keystone user with the given password; returns its id. */
export async function createKeystoneUser(
  config: Config,
  user: { name: string; password: string; description?: string },
): Promise<string> {
  const response = await keystoneFromConfig(config).request('POST', '/users', {
    user: { ...user, email: user.name, domain_id: config.auth.domain_id, enabled: true },
  });
  return response.json<{ user: { id: string } }>().user.id;
}

export interface KeystonePerson {
  /** The user name, an example.org address. */
  name: string;
  userId: string;
  /** The temporary password the user was created with (what the worker registers). */
  temporary: string;
}

/** A new Keystone user with a random temporary password, as an onboarding creates one. */
export async function newKeystonePerson(
  config: Config,
  prefix: string,
  description: string,
): Promise<KeystonePerson> {
  const name = `${uniqueName(prefix)}@example.org`;
  const temporary = `tmp-${randomUUID()}`;
  const userId = await createKeystoneUser(config, { name, password: temporary, description });
  return { name, userId, temporary };
}
