// Key rotations with onboardings parked across them, on the real services: the setpass key
// (temporary passwords, PIN hashes: a form PIN's hash is copied into every new link) and the
// codec key (workflow payloads). The former key, held in previous_*_keys, keeps every right PIN
// working; once it is dropped, a link made under it is refused with a page that says so.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SecretBox } from '../../api/secrets';
import { requestPinBinding } from '../../shared/form-request-contract';
import {
  resendLinkUpdate,
  statusQuery,
  type Registration,
  type ReminderPolicy,
} from '../../shared/onboarding';
import { startOnboarding } from '../../wiring/start-onboarding';
import { formSession, linkFromMail, postForm } from '../support/forms';
import { adminToken, eventually, keystoneLogin, mailsTo, uniqueName } from '../support/services';
import { startSystem, type TestSystem } from '../support/system';

const PIN = '7305';
const PATIENT: ReminderPolicy = {
  afterMs: [3_600_000],
  abandonAfterMs: 7_200_000,
  linkLifetimeMs: 172_800_000,
};
const key = () => randomBytes(32).toString('base64');

describe('key rotations with onboardings parked across them', () => {
  const [setpass1, setpass2, codec1, codec2] = [key(), key(), key(), key()];
  const database = join(mkdtempSync(join(tmpdir(), 'kaizen-rotation-')), 'setpass.sqlite');
  const before = {
    KAIZEN_SECRETS__SETPASS_KEY: setpass1,
    KAIZEN_SECRETS__CODEC_KEY: codec1,
    KAIZEN_SETPASS__DATABASE: database,
  };
  const rotated = {
    KAIZEN_SECRETS__SETPASS_KEY: setpass2,
    KAIZEN_SECRETS__PREVIOUS_SETPASS_KEYS: setpass1,
    KAIZEN_SECRETS__CODEC_KEY: codec2,
    KAIZEN_SECRETS__PREVIOUS_CODEC_KEYS: codec1,
    KAIZEN_SETPASS__DATABASE: database,
  };
  const systems: TestSystem[] = [];
  after(async () => {
    for (const system of systems) await system.close().catch(() => undefined);
  });

  const person = (fields: Partial<Registration> = {}): Registration => ({
    email: `${uniqueName('rot')}@example.org`,
    firstName: 'Rosa',
    lastName: 'Tation',
    project: uniqueName('Rot'),
    ...fields,
  });

  /** A form PIN as /register keeps it: its HMAC under the setpass key of the day. */
  async function formPin(system: TestSystem, setpassKey: string): Promise<string> {
    const requestId = randomUUID();
    const pinHash = new SecretBox(Buffer.from(setpassKey, 'base64')).pinHash(
      requestPinBinding(requestId),
      PIN,
    );
    const kept = await fetch(new URL(`request-pin/${requestId}`, system.api.url), {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        'x-auth-token': await adminToken(system.config),
      },
      body: JSON.stringify({ pin_hash: pinHash }),
    });
    assert.equal(kept.status, 204, await kept.text());
    return requestId;
  }

  /** The newest link mailed to `email`, on the API that runs now (the first one's port is gone). */
  async function newestLink(email: string, system: TestSystem) {
    const token = new URL(await linkFromMail(email)).searchParams.get('token')!;
    return { link: `${system.api.url}?token=${token}`, token };
  }

  /** Sets a password with the newest link and `PIN`, as the person would. */
  async function setPassword(email: string, system: TestSystem, password: string) {
    const { link, token } = await newestLink(email, system);
    const session = await formSession(link);
    return postForm(
      system.api.url,
      { token, pin: PIN, password, confirm_password: password },
      session,
    );
  }

  async function parked(system: TestSystem, registration: Registration) {
    const { handle } = await startOnboarding(system.client, system.config, registration, {
      taskQueue: system.taskQueue,
      reminders: PATIENT,
    });
    await eventually('waiting for the password', async () =>
      (await handle.query(statusQuery)).step === 'waiting-for-password' ? true : undefined,
    );
    return handle;
  }

  test('rotated with the former keys held: a resent form-PIN link and an old link both work', async () => {
    const first = await startSystem(before);
    systems.push(first);
    const formPerson = person({ pinRequest: await formPin(first, setpass1) });
    const sheetPerson = person({ pin: PIN });
    const formHandle = await parked(first, formPerson);
    const sheetHandle = await parked(first, sheetPerson);
    await first.close();
    systems.pop();

    // Rotated: new keys, the former ones held; the same task queue takes the parked onboardings.
    const second = await startSystem(rotated, { taskQueue: first.taskQueue });
    systems.push(second);
    const formResent = second.client.workflow.getHandle(formHandle.workflowId);
    const answer = await formResent.executeUpdate(resendLinkUpdate, { args: [{ by: 'ops' }] });
    assert.equal(answer.linksSent, 2, 'a new link under the form PIN kept before the rotation');
    await eventually('the resent link', async () =>
      (await mailsTo(formPerson.email)).length >= 3 ? true : undefined,
    );
    for (const [who, handle] of [
      [formPerson, formResent],
      [sheetPerson, second.client.workflow.getHandle(sheetHandle.workflowId)],
    ] as const) {
      const password = `Rotated-${uniqueName('pw')}`;
      const set = await setPassword(who.email, second, password);
      assert.equal(set.status, 200, `${who.email}: ${set.text}`);
      assert.equal((await keystoneLogin(second.config, who.email, password)).status, 201);
      // The workflow written under codec key 1 completes under key 2.
      assert.equal((await handle.result()).outcome, 'completed');
    }
  });

  test('a link made under a dropped setpass key is refused with a page that says so', async () => {
    const first = await startSystem(before);
    systems.push(first);
    const formPerson = person({ pinRequest: await formPin(first, setpass1) });
    const handle = await parked(first, formPerson);
    await first.close();
    systems.pop();

    // The former setpass key dropped too early: the link's PIN hash cannot be checked.
    const config = { ...rotated, KAIZEN_SECRETS__PREVIOUS_SETPASS_KEYS: '' };
    const second = await startSystem(config, { taskQueue: first.taskQueue });
    systems.push(second);
    const password = `Dropped-${uniqueName('pw')}`;
    const page = await setPassword(formPerson.email, second, password);
    assert.equal(page.status, 410, page.text);
    assert.match(
      page.text,
      /made before a change of the service&#39;s keys|made before a change of the service's keys/,
    );
    assert.equal((await keystoneLogin(second.config, formPerson.email, password)).status, 401);

    // A resend cannot copy that hash into a new link: setpass refuses, naming the fix.
    const { userId } = await second.client.workflow.getHandle(handle.workflowId).query(statusQuery);
    const refused = await fetch(new URL(`token/${userId}`, second.api.url), {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        'x-auth-token': await adminToken(second.config),
      },
      body: JSON.stringify({ pin_request: formPerson.pinRequest, password: 'x'.repeat(20) }),
    });
    assert.equal(refused.status, 409);
    assert.match(
      await refused.text(),
      /hashed under a setpass key no longer in .*previous_setpass_keys/,
    );
    await second.client.workflow.getHandle(handle.workflowId).terminate('test over');
  });
});
