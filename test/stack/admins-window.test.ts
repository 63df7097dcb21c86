// The admins' window as deployed: docker-compose.yml with the Web UI and the `tls` service
// (Caddy) turned on, a real OIDC provider on loopback (test/support/oidc-provider.ts), and a
// certificate of the test's own CA that Chromium trusts by its key alone. An admin logs in through
// the provider's page, opens the sample onboarding and sees its e-mail decoded through the codec
// endpoint over HTTPS, the PIN «redacted»; a person without the admins' claim logs in too and the
// codec endpoint refuses them (403); a token for another audience gets a 401.
//
// npm test runs it after stack.test.ts; alone (compose project kaizen-admins, or
// KAIZEN_ADMINS_STACK_PROJECT):
//   scripts/docker-engine.sh start && scripts/images.sh stack
//   eval "export $(scripts/docker-engine.sh env)"
//   scripts/services.sh start && . .state/services.env   # the host's Keystone, Nova, Cinder, Neutron
//   node --import tsx --test test/stack/admins-window.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Browser, Page, Request } from 'playwright-core';
import { payloadToJson } from '../../codec/payload-json';
import { type Registration, type ReminderPolicy } from '../../shared/onboarding';
import { REDACTED } from '../../shared/secret-fields';
import { startOnboarding } from '../../wiring/start-onboarding';
import { launchChromium, screenshot } from '../browser/support';
import {
  composeOk,
  connectToStack,
  docker,
  downStack,
  listeners,
  prepareStack,
  waitReady,
  type Stack,
} from '../support/compose-stack';
import { startOidcProvider, type RunningOidcProvider } from '../support/oidc-provider';
import { adminToken, eventually, testConfig, uniqueName } from '../support/services';

const PROJECT = process.env.KAIZEN_ADMINS_STACK_PROJECT ?? 'kaizen-admins';
const CLIENT_ID = 'temporal-ui';
/** Not the client id: the UI's ID tokens (aud temporal-ui) are then a token for another audience. */
const AUDIENCE = 'kaizen-codec';
const ADMIN = { login: 'ada', password: 'ada-pw-1', groups: ['kaizen-admins'] };
const OTHER = { login: 'bob', password: 'bob-pw-1', groups: ['kaizen-users'] };
const PATIENT: ReminderPolicy = {
  afterMs: [3_600_000],
  abandonAfterMs: 7_200_000,
  linkLifetimeMs: 172_800_000,
};
const UI_TIMEOUT = 90_000;

/** A POST to the codec endpoint through `tls`, trusting only the test's CA. */
function codecPost(stack: Stack, path: string, body: unknown, token?: string) {
  return new Promise<{ status: number; text: string }>((done, fail) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(
      `${stack.codecUrl}${path}`,
      { method: 'POST', headers, ca: readFileSync(stack.tls.caFile) },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

/** Logs in at the UI through the provider's page; the UI then shows `url`. */
async function logIn(page: Page, url: string, who: { login: string; password: string }) {
  await page.goto(url);
  const sso = page.getByRole('button', { name: /continue to sso|log ?in|sign ?in/i });
  const form = page.getByLabel('Username');
  await Promise.race([sso.first().waitFor(), form.waitFor()]);
  if (await sso.first().isVisible()) await sso.first().click();
  await form.fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe("the admins' window: Web UI and codec endpoint behind TLS, OIDC login", () => {
  let stack: Stack | undefined;
  let provider: RunningOidcProvider | undefined;
  let client: Client | undefined;
  let browser: Browser | undefined;
  let registration: Registration;
  let workflowUrl: string;
  /** The history's first payload (the input), encrypted as the stack's worker stored it. */
  let encoded: unknown;
  let listenersBefore: string[];

  before(async () => {
    assert.ok(
      process.env.KAIZEN_AUTH__AUTH_URL && process.env.KAIZEN_AUTH__ADMIN_PWD,
      'the host services are needed: scripts/services.sh start, then source .state/services.env',
    );
    await adminToken(testConfig());
    stack = await prepareStack({
      project: PROJECT,
      adminsWindow: async ({ uiOrigin }) => {
        provider = await startOidcProvider({
          clientId: CLIENT_ID,
          redirectUri: `${uiOrigin}/auth/sso/callback`,
          audience: AUDIENCE,
          people: [ADMIN, OTHER].map((p) => ({
            ...p,
            email: `${p.login}@example.org`,
            name: p.login,
          })),
        });
        return {
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          codec: {
            oidc_issuer: provider.issuer,
            oidc_audience: AUDIENCE,
            required_claim: 'groups=kaizen-admins',
          },
        };
      },
    });
    assert.ok(stack.services.includes('temporal-ui') && stack.services.includes('tls'));
    for (const image of stack.images) {
      const found = await docker('image', 'inspect', image);
      assert.equal(found.code, 0, `image ${image} missing: scripts/images.sh stack`);
    }
    await composeOk(stack, ['down', '-v', '--remove-orphans']); // what a failed run left
    listenersBefore = await listeners();
    await composeOk(stack, ['up', '-d', '--no-build'], { timeoutMs: 240_000 });
    await waitReady(stack, 180_000);

    const connected = await connectToStack(stack);
    ({ client } = connected);
    const { config } = connected;
    const sample = JSON.parse(readFileSync('sample/registration.json', 'utf8')) as Registration;
    // The sample, with its own e-mail, project and a PIN no count on the page reads like.
    const id = uniqueName('admins');
    registration = { ...sample, email: `${id}@example.org`, project: `Proj-${id}`, pin: '0472' };
    const { handle } = await startOnboarding(client, config, registration, { reminders: PATIENT });
    const runId = (await handle.describe()).runId;
    const history = await handle.fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input;
    encoded = payloadToJson(input!.payloads![0]!);
    workflowUrl = `${stack.uiOrigin}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${runId}/history`;
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${stack.tls.spki}`]);
  });

  after(async () => {
    await browser?.close();
    await client?.connection.close();
    if (stack) await downStack(stack);
    await provider?.close();
  });

  test('everything listens on 127.0.0.1 only', async () => {
    const added = (await listeners()).filter((l) => !listenersBefore.includes(l));
    assert.deepEqual(
      added.filter((l) => !l.startsWith('127.0.0.1:')),
      [],
    );
    for (const name of ['UI', 'UI_TLS', 'CODEC_TLS'] as const)
      assert.ok(added.includes(`127.0.0.1:${stack!.ports[name]}`), `something listens on ${name}`);
  });

  test(
    'an admin logs in and sees the e-mail decoded, the PIN redacted',
    { timeout: 240_000 },
    async () => {
      const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
      context.setDefaultTimeout(UI_TIMEOUT);
      const page = await context.newPage();
      const codecCalls: Request[] = [];
      page.on('request', (r) => void (r.url().startsWith(stack!.codecUrl) && codecCalls.push(r)));
      await logIn(page, workflowUrl, ADMIN);
      assert.deepEqual(provider!.logins, [ADMIN.login]);
      const input = page.getByTestId('input-and-result').getByRole('textbox', { name: 'Input' });
      const decoded = await eventually(
        'the decoded input',
        async () => {
          const text = (await input.allInnerTexts().catch(() => []))[0] ?? '';
          return text.includes(registration.email) ? text : undefined;
        },
        UI_TIMEOUT,
      ).catch(async (err: Error) => {
        await screenshot(page, 'admins-window-admin');
        throw err;
      });
      await screenshot(page, 'admins-window-admin');
      assert.deepEqual(JSON.parse(decoded), {
        registration: { ...registration, pin: REDACTED },
        reminders: PATIENT,
      });
      const decodes = codecCalls.filter((r) => r.method() === 'POST');
      assert.ok(decodes.length > 0, 'the UI called the codec endpoint');
      const answered = await Promise.all(decodes.map(async (r) => (await r.response())?.status()));
      assert.ok(
        answered.every((s) => s === 200),
        `codec answers ${answered.join(', ')}`,
      );
      const headers = await decodes[0]!.allHeaders();
      const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
      const idToken = headers['authorization-extras'] ?? '';
      assert.ok(token && idToken, 'the UI passed the access token and the ID token');
      await context.close();

      // The same tokens sent directly: the access token decodes, the ID token is another audience.
      const ok = await codecPost(stack!, '/decode', { payloads: [encoded] }, token);
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.text.length > 0 && !ok.text.includes('0472'));
      const other = await codecPost(stack!, '/decode', { payloads: [encoded] }, idToken);
      assert.equal(other.status, 401, other.text);
      assert.match(other.text, /audience/);
      assert.equal((await codecPost(stack!, '/decode', { payloads: [encoded] })).status, 401);
    },
  );

  test(
    "a person without the admins' claim logs in; the codec endpoint refuses them",
    { timeout: 240_000 },
    async () => {
      const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
      context.setDefaultTimeout(UI_TIMEOUT);
      const page = await context.newPage();
      const refused = page.waitForResponse(
        (r) => r.url().startsWith(stack!.codecUrl) && r.request().method() === 'POST',
      );
      await logIn(page, workflowUrl, OTHER);
      const response = await refused;
      assert.equal(response.status(), 403);
      const token = /^Bearer (\S+)$/.exec(
        (await response.request().allHeaders()).authorization ?? '',
      )?.[1];
      assert.ok(token, 'the UI passed their access token');
      // The UI says so, and shows the input still encoded.
      await page.locator('#content').getByText('Codec Server could not connect').waitFor();
      await screenshot(page, 'admins-window-other');
      const input = page.getByTestId('input-and-result').getByRole('textbox', { name: 'Input' });
      assert.ok(!(await input.allInnerTexts()).join('').includes('"registration"'));
      await context.close();
      const direct = await codecPost(stack!, '/decode', { payloads: [encoded] }, token);
      assert.equal(direct.status, 403, direct.text);
      assert.match(direct.text, /kaizen-admins/);
    },
  );
});
