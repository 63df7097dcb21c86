// The setpass contract against the real API, the real Keystone and the real token store.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RESET_ANSWER } from '../../api/routes/reset';
import { SecretBox } from '../../api/secrets';
import { startSetpassServer, type RunningSetpass } from '../../api/server';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { connectClient } from '../../lib/temporal';
import { requestPinBinding } from '../../shared/form-request-contract';
import { resetStatusQuery, resetWorkflowId } from '../../shared/onboarding';
import { formSession, postForm } from '../support/forms';
import { startSystem, type TestSystem } from '../support/system';
import {
  adminToken,
  newKeystonePerson,
  eventually,
  keystoneLogin,
  mailsTo,
  mailText,
  testConfig,
  uniqueName,
} from '../support/services';

const PIN = '4821';

const newPerson = (config: Config) => newKeystonePerson(config, 'sp', 'Set Pass');

/** A form request id; never one that holds PIN, which the log test looks for. */
const newRequestId = (): string => {
  const id = randomUUID();
  return id.includes(PIN) ? newRequestId() : id;
};

async function putToken(api: RunningSetpass, userId: string, body: unknown, token?: string) {
  const response = await fetch(new URL(`token/${userId}`, api.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function putRequestPin(
  api: RunningSetpass,
  requestId: string,
  body: unknown,
  token?: string,
) {
  const response = await fetch(new URL(`request-pin/${requestId}`, api.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

const linkOf = (api: RunningSetpass, token: string) => `${api.url}?token=${token}`;

/** Posts the form as the original setpass's callers do: no CSRF cookie, no csrf field. */
async function postWithoutCsrf(
  api: RunningSetpass,
  fields: Record<string, string>,
  accept: string,
) {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
    body: new URLSearchParams(fields).toString(),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  };
}

function postgresUrl(): string {
  const url = process.env.KAIZEN_TEST_POSTGRES_URL;
  if (!url) throw new Error('KAIZEN_TEST_POSTGRES_URL is not set: run the tests with npm test');
  return url;
}

// The same contract on both token stores.
for (const store of ['sqlite', 'postgresql'] as const)
  describe(`setpass API contract (${store} store)`, () => {
    const logs: string[] = [];
    let config: Config;
    let api: RunningSetpass;
    let admin: string;

    before(async () => {
      config = testConfig(
        store === 'postgresql' ? { KAIZEN_SETPASS__DATABASE: postgresUrl() } : {},
      );
      api = await startSetpassServer(config, {
        port: 0,
        log: (m, f) => logs.push(JSON.stringify({ m, ...f })),
      });
      admin = await adminToken(config);
    });

    /** A new person with a live link, opened as a browser would: its CSRF cookie and field. */
    const openedLink = async () => {
      const person = await newPerson(config);
      const token = (
        await putToken(api, person.userId, { password: person.temporary, pin: PIN }, admin)
      ).text;
      return { person, token, session: await formSession(linkOf(api, token)) };
    };
    after(() => api.close());

    test('PUT /token: 401 without a token, 403 for a non-admin token', async () => {
      const person = await newPerson(config);
      assert.equal((await putToken(api, person.userId, { password: 'x', pin: PIN })).status, 401);
      const member = await keystoneLogin(config, person.name, person.temporary);
      const refused = await putToken(api, person.userId, { password: 'x', pin: PIN }, member.token);
      assert.equal(refused.status, 403);
      assert.equal(
        (await putToken(api, person.userId, { password: 'x', pin: PIN }, 'garbage')).status,
        403,
      );
    });

    test('PUT /token: bad bodies get 400/413 with a message, never 500', async () => {
      const { userId } = await newPerson(config);
      const cases: [unknown, number, RegExp][] = [
        [{}, 400, /password and pin are both required/],
        [{ password: 'x' }, 400, /both required/],
        ['{not json', 400, /not valid JSON/],
        ['[1,2]', 400, /JSON object/],
        [{ password: 'x', pin: '12a4' }, 400, /pin must be exactly 4 digits/],
        [{ password: 'x', pin: 1234 }, 400, /pin must be a string/],
        [{ password: 'x'.repeat(10_000), pin: PIN }, 413, /too large/],
      ];
      for (const [body, status, message] of cases) {
        const answer = await putToken(api, userId, body, admin);
        assert.equal(
          answer.status,
          status,
          `${JSON.stringify(body).slice(0, 40)} → ${answer.text}`,
        );
        assert.match(answer.text, message);
      }
    });

    test('PUT /token again (also with {}) kills the old token and resets the attempt counter', async () => {
      const person = await newPerson(config);
      const first = await putToken(
        api,
        person.userId,
        { password: person.temporary, pin: PIN },
        admin,
      );
      assert.equal(first.status, 200);
      assert.match(first.text, /^[A-Za-z0-9_-]{43}$/);
      const session = await formSession(linkOf(api, first.text));
      const wrong = {
        token: first.text,
        pin: '0000',
        password: 'new-secret-1',
        confirm_password: 'new-secret-1',
      };
      assert.match((await postForm(api.url, wrong, session)).text, /2 attempts left/);

      const second = await putToken(api, person.userId, {}, admin);
      assert.equal(second.status, 200);
      assert.notEqual(second.text, first.text);
      assert.equal((await fetch(linkOf(api, first.text))).status, 404, 'old token is dead');
      const again = await postForm(api.url, { ...wrong, token: second.text }, session);
      assert.match(again.text, /2 attempts left/, 'counter restarted');

      // Only the PIN changes: the stored temporary password is kept.
      const third = await putToken(api, person.userId, { pin: '1111' }, admin);
      const ok = await postForm(
        api.url,
        {
          token: third.text,
          pin: '1111',
          password: 'new-secret-1',
          confirm_password: 'new-secret-1',
        },
        session,
      );
      assert.equal(ok.status, 200, ok.text);
    });

    /** The HMAC the /register form keeps for `pin`: bound to the request, not to a user. */
    const formPinHash = (requestId: string, pin: string) =>
      new SecretBox(config.secrets.setpass_key).pinHash(requestPinBinding(requestId), pin);

    test('PUT /request-pin: 401 without a token, 403 for a non-admin token, 400 for bad ids and hashes', async () => {
      const requestId = newRequestId();
      const body = { pin_hash: formPinHash(requestId, '1234') };
      const person = await newPerson(config);
      assert.equal((await putRequestPin(api, requestId, body)).status, 401);
      const member = await keystoneLogin(config, person.name, person.temporary);
      assert.equal((await putRequestPin(api, requestId, body, member.token)).status, 403);
      assert.equal((await putRequestPin(api, requestId, body, 'garbage')).status, 403);
      const refusedKeptNothing = await putToken(
        api,
        person.userId,
        { password: person.temporary, pin_request: requestId },
        admin,
      );
      assert.equal(refusedKeptNothing.status, 400, 'the refused calls kept no PIN');

      for (const badId of [
        'not-a-uuid',
        requestId.toUpperCase(),
        `${requestId}0`,
        requestId.replaceAll('-', ''),
      ]) {
        const answer = await putRequestPin(api, encodeURIComponent(badId), body, admin);
        assert.equal(answer.status, 400, `${badId} → ${answer.text}`);
        assert.match(answer.text, /request id must be a lower-case UUID/);
      }
      const cases: [unknown, RegExp][] = [
        [{}, /pin_hash must be 64 lower-case hex digits/],
        [{ pin_hash: '1234' }, /pin_hash must be 64 lower-case hex/],
        [{ pin_hash: body.pin_hash.toUpperCase() }, /pin_hash must be 64 lower-case hex/],
        [{ pin_hash: body.pin_hash.slice(1) }, /pin_hash must be 64 lower-case hex/],
        [{ pin_hash: `${body.pin_hash}0` }, /pin_hash must be 64 lower-case hex/],
        [{ pin_hash: 42 }, /pin_hash must be a string/],
        ['{not json', /not valid JSON/],
      ];
      for (const [bad, message] of cases) {
        const answer = await putRequestPin(api, requestId, bad, admin);
        assert.equal(answer.status, 400, `${JSON.stringify(bad)} → ${answer.text}`);
        assert.match(answer.text, message);
      }
    });

    test('PUT /token with pin_request: the link takes the PIN chosen on the form, also re-issued', async () => {
      const person = await newPerson(config);
      const requestId = newRequestId();
      const pinHash = formPinHash(requestId, '1234');
      for (let i = 0; i < 2; i++) {
        const kept = await putRequestPin(api, requestId, { pin_hash: pinHash }, admin);
        assert.deepEqual(kept, { status: 204, text: '' }, 'idempotent');
      }
      const keptLog = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(keptLog.some((l) => l.m === 'request pin kept' && l.requestId === requestId));
      assert.ok(!logs.join('\n').includes(pinHash), 'the hash is not logged');

      const first = await putToken(
        api,
        person.userId,
        { password: person.temporary, pin_request: requestId },
        admin,
      );
      assert.equal(first.status, 200, first.text);
      // A re-issued link (no pin, no pin_request) keeps the form's PIN.
      const second = await putToken(api, person.userId, {}, admin);
      assert.equal(second.status, 200, second.text);
      assert.equal((await fetch(linkOf(api, first.text))).status, 404, 'old token is dead');

      const session = await formSession(linkOf(api, second.text));
      const pw = `Ok-${randomUUID()}`;
      const post = (pin: string) =>
        postForm(api.url, { token: second.text, pin, password: pw, confirm_password: pw }, session);
      const wrong = await post('4321');
      assert.equal(wrong.status, 403);
      assert.match(wrong.text, /Wrong PIN\. 2 attempts left/);
      const ok = await post('1234');
      assert.equal(ok.status, 200, ok.text);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await keystoneLogin(config, person.name, pw)).status, 201);
    });

    test('PUT /token: pin_request unknown, malformed or beside pin is a 400; pin binds to the user again', async () => {
      const person = await newPerson(config);
      const requestId = newRequestId();
      const password = person.temporary;
      const unknown = await putToken(
        api,
        person.userId,
        { password, pin_request: requestId },
        admin,
      );
      assert.deepEqual(unknown, {
        status: 400,
        text: `no PIN was set on the form for request ${requestId}`,
      });
      const cases: [unknown, RegExp][] = [
        [{ password, pin_request: 'not-a-uuid' }, /pin_request must be a lower-case UUID/],
        [{ password, pin_request: requestId.toUpperCase() }, /pin_request must be a lower-case/],
        [{ password, pin_request: 7 }, /pin_request must be a string/],
        [{ password, pin: PIN, pin_request: requestId }, /either pin or pin_request, not both/],
      ];
      for (const [bad, message] of cases) {
        const answer = await putToken(api, person.userId, bad, admin);
        assert.equal(answer.status, 400, `${JSON.stringify(bad)} → ${answer.text}`);
        assert.match(answer.text, message);
      }

      // A link under a form PIN, then one under a typed PIN: that one is bound to the user.
      assert.equal(
        (await putRequestPin(api, requestId, { pin_hash: formPinHash(requestId, '1234') }, admin))
          .status,
        204,
      );
      const underForm = await putToken(
        api,
        person.userId,
        { password, pin_request: requestId },
        admin,
      );
      assert.equal(underForm.status, 200, underForm.text);
      const refused = await putToken(api, person.userId, { pin_request: newRequestId() }, admin);
      assert.equal(refused.status, 400);
      assert.equal(
        (await fetch(linkOf(api, underForm.text))).status,
        200,
        'a refusal kept the link',
      );

      const typed = await putToken(api, person.userId, { pin: '5678' }, admin);
      assert.equal(typed.status, 200, typed.text);
      const session = await formSession(linkOf(api, typed.text));
      const pw = `Ok-${randomUUID()}`;
      const post = (pin: string) =>
        postForm(api.url, { token: typed.text, pin, password: pw, confirm_password: pw }, session);
      assert.equal((await post('1234')).status, 403, 'the form PIN no longer opens it');
      const ok = await post('5678');
      assert.equal(ok.status, 200, ok.text);
    });

    test('POST /: every refusal has its status and message; success is single-use', async () => {
      const { person, token, session } = await openedLink();
      const post = (fields: Record<string, string>) =>
        postForm(api.url, { token, ...fields }, session);
      const pw = `Ok-${randomUUID()}`;

      // GET never consumes or counts: open the link a few times first.
      for (let i = 0; i < 3; i++) assert.equal((await fetch(linkOf(api, token))).status, 200);

      assert.equal((await post({ pin: PIN, password: pw })).status, 400);
      const differ = await post({ pin: PIN, password: pw, confirm_password: `${pw}x` });
      assert.equal(differ.status, 400);
      assert.match(differ.text, /passwords differ/);
      const unknown = await postForm(
        api.url,
        { token: 'x'.repeat(43), pin: PIN, password: pw, confirm_password: pw },
        session,
      );
      assert.equal(unknown.status, 404);
      assert.match(unknown.text, /Token not found/);
      const noCsrf = await postForm(
        api.url,
        { token, pin: PIN, password: pw, confirm_password: pw },
        { ...session, csrf: 'forged' },
      );
      assert.equal(noCsrf.status, 403);
      assert.match(noCsrf.text, /form had expired/);

      const wrong = await post({ pin: '9999', password: pw, confirm_password: pw });
      assert.equal(wrong.status, 403);
      assert.match(
        wrong.text,
        /Wrong PIN\. 2 attempts left/,
        'GETs and refusals before the PIN did not count',
      );

      // Keystone's password policy refuses: the person sees why, and the link stays usable.
      const policy = await post({
        pin: PIN,
        password: 'my-password-is-long',
        confirm_password: 'my-password-is-long',
      });
      assert.equal(policy.status, 400);
      assert.match(policy.text, /must not contain the word "password"/);

      const ok = await post({ pin: PIN, password: pw, confirm_password: pw });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(
        (await post({ pin: PIN, password: pw, confirm_password: pw })).status,
        404,
        'single-use',
      );
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await keystoneLogin(config, person.name, pw)).status, 201);
    });

    test('POST /: unknown and used tokens are 404 with or without the CSRF cookie; a live one without it is 403', async () => {
      const { token, session } = await openedLink();
      const pw = `Ok-${randomUUID()}`;
      const fields = (t: string, pin = PIN) => ({
        token: t,
        pin,
        password: pw,
        confirm_password: pw,
      });
      const accepts = ['text/html', 'application/json'];

      // Without the cookie, an unknown token gets what it gets with one, in either format.
      const notFound = new Map<string, Awaited<ReturnType<typeof postWithoutCsrf>>>();
      for (const accept of accepts) {
        const withCsrf = await postForm(api.url, fields('u'.repeat(43)), session, { accept });
        assert.equal(withCsrf.status, 404);
        assert.match(withCsrf.text, /Token not found/);
        const without = await postWithoutCsrf(api, fields('u'.repeat(43)), accept);
        assert.deepEqual(without, {
          status: 404,
          type: withCsrf.headers.get('content-type'),
          text: withCsrf.text,
        });
        notFound.set(accept, without);
      }

      // A live token without the cookie is refused before its PIN is looked at.
      for (const accept of accepts) {
        const refused = await postWithoutCsrf(api, fields(token, '9999'), accept);
        assert.equal(refused.status, 403, accept);
        assert.match(refused.text, /form had expired/);
      }
      const wrong = await postForm(api.url, fields(token, '9999'), session);
      assert.match(wrong.text, /2 attempts left/, 'the refused posts counted no PIN');

      assert.equal((await postForm(api.url, fields(token), session)).status, 200);
      for (const accept of accepts) {
        assert.deepEqual(
          await postWithoutCsrf(api, fields(token), accept),
          notFound.get(accept),
          `a used token answers as an unknown one (${accept})`,
        );
      }
    });

    test('POST /: locked after max_attempts wrong PINs; then the right PIN no longer helps', async () => {
      const { person, token, session } = await openedLink();
      const pw = `Ok-${randomUUID()}`;
      const post = (pin: string) =>
        postForm(api.url, { token, pin, password: pw, confirm_password: pw }, session);
      assert.match((await post('0001')).text, /2 attempts left/);
      assert.match((await post('0002')).text, /1 attempt left/);
      const third = await post('0003');
      assert.equal(third.status, 403);
      assert.match(third.text, /Link locked/);
      const right = await post(PIN);
      assert.equal(right.status, 403);
      assert.match(right.text, /Link locked/);
      assert.equal(
        (await keystoneLogin(config, person.name, person.temporary)).status,
        201,
        'password unchanged',
      );
    });

    test('GET /healthz answers ok', async () => {
      const response = await fetch(new URL('healthz', api.url));
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'ok');
    });

    test('request logs hold no token, PIN or password', () => {
      assert.ok(logs.length > 20, 'requests were logged');
      const text = logs.join('\n');
      assert.ok(!text.includes('?token='), 'no query strings');
      assert.ok(!text.includes(PIN));
      assert.ok(!/tmp-[0-9a-f-]{36}|Ok-[0-9a-f-]{36}/.test(text), 'no passwords');
    });
  });

describe('setpass API limits', () => {
  test('expired links are refused with what to do next', async () => {
    const config = testConfig({ KAIZEN_SETPASS__TOKEN_EXPIRATION: '1s' });
    const api = await startSetpassServer(config, { port: 0, log: () => undefined });
    try {
      const person = await newPerson(config);
      const token = (
        await putToken(
          api,
          person.userId,
          { password: person.temporary, pin: PIN },
          await adminToken(config),
        )
      ).text;
      const session = await formSession(linkOf(api, token));
      await new Promise((r) => setTimeout(r, 1500));
      const answer = await postForm(
        api.url,
        { token, pin: PIN, password: 'abcdefgh1', confirm_password: 'abcdefgh1' },
        session,
        { accept: 'text/html' },
      );
      assert.equal(answer.status, 403);
      assert.match(answer.text, /Token expired/);
      assert.match(answer.text, /href="[^"]*\/reset"/, 'links to the reset form');
      const withoutCsrf = await postWithoutCsrf(
        api,
        { token, pin: PIN, password: 'abcdefgh1', confirm_password: 'abcdefgh1' },
        'text/html',
      );
      assert.deepEqual([withoutCsrf.status, withoutCsrf.text], [403, answer.text]);
    } finally {
      await api.close();
    }
  });

  test('a client over the rate limit gets 429 with Retry-After', async () => {
    const config = testConfig({ KAIZEN_SETPASS__RATE_LIMIT: '5' });
    const api = await startSetpassServer(config, { port: 0, log: () => undefined });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i++) {
        const response = await fetch(linkOf(api, `guess${i}`.padEnd(43, 'x')));
        statuses.push(response.status);
        retryAfter ??= response.headers.get('retry-after');
      }
      assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429, 429]);
      assert.ok(Number(retryAfter) > 0);
    } finally {
      await api.close();
    }
  });
});

describe('password reset, end to end', () => {
  let system: TestSystem;
  let taskQueue: string;
  let config: Config;
  let api: RunningSetpass;

  before(async () => {
    system = await startSystem({
      KAIZEN_EMAIL_DEFAULTS__ADMIN_EMAIL: `${uniqueName('admins')}@example.org`,
    });
    ({ taskQueue, config, api } = system);
  });
  after(() => system.close());

  async function requestReset(email: string, pin: string) {
    const resetUrl = new URL('reset', api.url).toString();
    const session = await formSession(resetUrl);
    const started = performance.now();
    const answer = await postForm(
      resetUrl,
      { name: 'Some One', email, confirm_email: email, pin },
      session,
    );
    return { ...answer, ms: performance.now() - started };
  }

  test('existing and unknown accounts get the same answer; the existing one gets a working link', async () => {
    const person = await newPerson(config);
    const known = await requestReset(person.name, '2468');
    const unknown = await requestReset(`${uniqueName('nobody')}@example.org`, '2468');
    assert.equal(known.status, 200);
    assert.equal(unknown.status, known.status);
    assert.equal(unknown.text, known.text);
    assert.equal(known.text, RESET_ANSWER);

    const mail = await eventually('the reset mail', async () => (await mailsTo(person.name))[0]);
    assert.match(mail.Subject, /new .* password link/);
    const link = /(http:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(await mailText(mail.ID))?.[1];
    assert.ok(link);
    const token = new URL(link).searchParams.get('token')!;
    const pw = `Reset-${randomUUID()}`;
    const session = await formSession(link);
    const ok = await postForm(
      api.url,
      { token, pin: '2468', password: pw, confirm_password: pw },
      session,
    );
    assert.equal(ok.status, 200, ok.text);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await keystoneLogin(config, person.name, pw)).status, 201);
    assert.equal((await keystoneLogin(config, person.name, person.temporary)).status, 401);

    const client = await connectClient(config);
    try {
      const handle = client.workflow.getHandle(resetWorkflowId(person.name));
      assert.equal(await handle.result(), 'password-set');
    } finally {
      await client.connection.close();
    }
  });

  test('an account holding a denied role is not reset and the admins are told', async () => {
    const person = await newPerson(config);
    const keystone = keystoneFromConfig(config);
    const project = await keystone.findProjectByName(config.auth.admin_project);
    const role = await keystone.findRoleByName('admin');
    assert.ok(project && role);
    await keystone.request(
      'PUT',
      `/projects/${project.id}/users/${person.userId}/roles/${role.id}`,
    );

    const answer = await requestReset(person.name, '1357');
    assert.equal(answer.text, RESET_ANSWER);
    const mail = await eventually(
      'the admins mail',
      async () => (await mailsTo(config.email_defaults.admin_email))[0],
    );
    assert.match(mail.Subject, new RegExp(`reset refused for ${person.name}`));
    assert.match(await mailText(mail.ID), /role\(s\) admin/);
    const client = await connectClient(config);
    try {
      const status = await client.workflow
        .getHandle(resetWorkflowId(person.name))
        .query(resetStatusQuery);
      assert.equal(status.outcome, 'refused');
    } finally {
      await client.connection.close();
    }
  });
  test('with approval on, a reset waits for an admin, who approves from the CLI', async () => {
    const approving = await startSetpassServer(
      testConfig({
        KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
        KAIZEN_RESET__APPROVAL: 'approve',
        KAIZEN_SETPASS__DATABASE: config.setpass.database,
      }),
      { port: 0, log: () => undefined },
    );
    const person = await newPerson(config);
    try {
      const resetUrl = new URL('reset', approving.url).toString();
      const session = await formSession(resetUrl);
      const answer = await postForm(
        resetUrl,
        { name: 'Ann', email: person.name, confirm_email: person.name, pin: '8642' },
        session,
      );
      assert.equal(answer.text, RESET_ANSWER);
    } finally {
      await approving.close();
    }
    const workflowId = resetWorkflowId(person.name);
    const askMail = await eventually('the approval request to the admins', async () =>
      (await mailsTo(config.email_defaults.admin_email)).find((m) =>
        m.Subject.includes(person.name),
      ),
    );
    assert.match(askMail.Subject, /waiting for approval/);
    assert.equal((await mailsTo(person.name)).length, 0, 'no link before the approval');

    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'approve-reset', workflowId],
        { env: { ...process.env, KAIZEN_SETTINGS: 'example_settings.ini' }, encoding: 'utf8' },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(output, /approved: reset:/);
    const mail = await eventually(
      'the reset mail after approval',
      async () => (await mailsTo(person.name))[0],
    );
    assert.match(mail.Subject, /new .* password link/);
  });
  test('a reset link not used reminds once before it expires', async () => {
    const shortLived = await startSetpassServer(
      testConfig({
        KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
        KAIZEN_SETPASS__TOKEN_EXPIRATION: '4s',
        KAIZEN_SETPASS__DATABASE: config.setpass.database,
      }),
      { port: 0, log: () => undefined },
    );
    const person = await newPerson(config);
    try {
      const resetUrl = new URL('reset', shortLived.url).toString();
      const session = await formSession(resetUrl);
      await postForm(
        resetUrl,
        { name: 'Bo', email: person.name, confirm_email: person.name, pin: '3690' },
        session,
      );
    } finally {
      await shortLived.close();
    }
    const mails = await eventually('the link and one reminder', async () => {
      const found = await mailsTo(person.name);
      return found.length >= 2 ? found : undefined;
    });
    assert.equal(mails.filter((m) => /^Reminder/.test(m.Subject)).length, 1);
    const client = await connectClient(config);
    try {
      assert.equal(
        await client.workflow.getHandle(resetWorkflowId(person.name)).result(),
        'link-sent',
      );
    } finally {
      await client.connection.close();
    }
    assert.equal((await mailsTo(person.name)).length, 2, 'exactly one reminder');
  });
});
