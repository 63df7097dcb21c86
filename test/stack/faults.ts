// Faults of the deployed form, registered into test/stack/stack.test.ts's stack (one `up` serves
// all): a worker container killed mid-onboarding, the Temporal container restarted and the API
// container restarted with onboardings parked, the whole stack down and up again. Each ends
// with people setting their passwords from links mailed before the fault, and the host's
// Keystone accepting them: nothing lost, nothing done twice.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { statusQuery, type OnboardingStep, type Registration } from '../../shared/onboarding';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { startOnboarding } from '../../wiring/start-onboarding';
import { composeOk, docker, serviceStates, waitReady, type Stack } from '../support/compose-stack';
import { formSession, linkFromMail, postForm } from '../support/forms';
import { eventually, keystoneLogin, mailsTo, uniqueName } from '../support/services';

export interface StackContext {
  stack: Stack;
  config: Config;
  client: Client;
}

function person(prefix: string): Registration {
  const id = uniqueName(prefix);
  const pin = String(randomInt(1000, 10000));
  return { email: `${id}@example.org`, firstName: 'Fau', lastName: 'Lt', project: `P-${id}`, pin };
}

async function start(ctx: StackContext, registration: Registration): Promise<WorkflowHandle> {
  return (await startOnboarding(ctx.client, ctx.config, registration)).handle;
}

async function stepOf(handle: WorkflowHandle): Promise<OnboardingStep | undefined> {
  return (await handle.query(statusQuery).catch(() => undefined))?.step;
}

/** Parked: its mails sent, waiting for the person. */
async function parked(ctx: StackContext, prefix: string): Promise<[Registration, WorkflowHandle]> {
  const registration = person(prefix);
  const handle = await start(ctx, registration);
  await eventually(
    `${registration.email} waiting for the password`,
    async () => (await stepOf(handle)) === 'waiting-for-password' || undefined,
    120_000,
  );
  return [registration, handle];
}

/**
 * The person sets the password from the mailed link (`link`: one read before a fault took the
 * mail away); Keystone accepts it; the workflow ends.
 */
export async function finish(
  ctx: StackContext,
  r: Registration,
  handle: WorkflowHandle,
  link?: string,
): Promise<void> {
  const password = `Fault-${randomUUID()}`;
  link ??= await linkFromMail(r.email);
  const session = await formSession(link);
  const token = new URL(link).searchParams.get('token')!;
  const fields = { token, pin: r.pin!, password, confirm_password: password };
  const answer = await postForm(new URL('./', link).toString(), fields, session);
  assert.equal(answer.status, 200, `${r.email}: ${answer.text}`);
  assert.equal((await keystoneLogin(ctx.config, r.email, password)).status, 201, r.email);
  const result = (await handle.result()) as { outcome: string };
  assert.equal(result.outcome, 'completed', r.email);
}

/** Exactly one project, user and role assignment in Keystone. */
async function keystoneOnce(ctx: StackContext, r: Registration): Promise<void> {
  const keystone = keystoneFromConfig(ctx.config);
  const get = async <T>(path: string) => (await keystone.request('GET', path)).json<T>();
  const { projects } = await get<{ projects: { id: string }[] }>(
    `/projects?name=${encodeURIComponent(r.project)}`,
  );
  const { users } = await get<{ users: { id: string }[] }>(
    `/users?name=${encodeURIComponent(r.email)}`,
  );
  assert.equal(projects.length, 1, `one project ${r.project}`);
  assert.equal(users.length, 1, `one user ${r.email}`);
  const query = new URLSearchParams({
    'user.id': users[0]!.id,
    'scope.project.id': projects[0]!.id,
  });
  const { role_assignments } = await get<{ role_assignments: unknown[] }>(
    `/role_assignments?${query}`,
  );
  assert.equal(role_assignments.length, 1, 'one role assignment');
}

/** One welcome and one set-password mail. */
async function mailsOnce(r: Registration): Promise<void> {
  const subjects = (await mailsTo(r.email)).map((m) => m.Subject);
  assert.equal(subjects.filter((s) => /^welcome/i.test(s)).length, 1, subjects.join(' | '));
  assert.equal(subjects.filter((s) => /^choose your/i.test(s)).length, 1, subjects.join(' | '));
}

const containerOf = async (stack: Stack, service: string) =>
  (await composeOk(stack, ['ps', '-q', service])).trim();

export function faultTests(context: () => StackContext): void {
  test('docker kill of the worker mid-onboarding: up again, it completes, all done once', async (t) => {
    const ctx = context();
    const keystone = keystoneFromConfig(ctx.config);
    // Killed as soon as its project is in Keystone: the user, the role and the mails still to
    // come. A few tries, as an onboarding can pass a step between two looks; the container is
    // looked up before, as docker-compose takes about a second to answer on a busy machine.
    let caught: { registration: Registration; handle: WorkflowHandle } | undefined;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const worker = await containerOf(ctx.stack, 'worker');
      const registration = person('kill');
      const handle = await start(ctx, registration);
      const path = `/projects?name=${encodeURIComponent(registration.project)}`;
      await eventually(
        `project ${registration.project} in Keystone`,
        async () =>
          (await keystone.request('GET', path)).json<{ projects: unknown[] }>().projects.length >
            0 || undefined,
        60_000,
        20,
      );
      await docker('kill', worker);
      if ((await mailsTo(registration.email)).length === 0) caught = { registration, handle };
      else {
        await composeOk(ctx.stack, ['up', '-d', '--no-deps', 'worker']);
        await finish(ctx, registration, handle);
      }
    }
    assert.ok(caught, 'the worker was killed before the mails, once in 5 onboardings');
    const { registration, handle } = caught;
    const killed = (await serviceStates(ctx.stack)).find((s) => s.service === 'worker');
    assert.equal(killed?.status, 'exited', 'the worker is down');
    const restarted = performance.now();
    await composeOk(ctx.stack, ['up', '-d', '--no-deps', 'worker']);
    await eventually(
      `${registration.email} waiting for the password again`,
      async () => (await stepOf(handle)) === 'waiting-for-password' || undefined,
      120_000,
    );
    t.diagnostic(
      `killed after its project was made; waiting for the password ${((performance.now() - restarted) / 1000).toFixed(1)} s after up`,
    );
    await finish(ctx, registration, handle);
    await keystoneOnce(ctx, registration);
    await mailsOnce(registration);
  });

  test('Temporal restarted with onboardings parked: they complete', async () => {
    const ctx = context();
    const first = await parked(ctx, 'tmp-a');
    const second = await parked(ctx, 'tmp-b');
    await composeOk(ctx.stack, ['restart', 'temporal'], { timeoutMs: 120_000 });
    for (const [r, handle] of [first, second]) {
      await eventually('the stack answering again', async () => await stepOf(handle), 120_000);
      await finish(ctx, r, handle);
      await keystoneOnce(ctx, r);
      await mailsOnce(r);
    }
  });

  test('the API restarted: a link mailed before still works (tokens in PostgreSQL)', async () => {
    const ctx = context();
    const [r, handle] = await parked(ctx, 'api');
    const link = await linkFromMail(r.email);
    const before = await containerOf(ctx.stack, 'api');
    await composeOk(ctx.stack, ['restart', 'api'], { timeoutMs: 60_000 });
    await waitReady(ctx.stack, 60_000);
    assert.equal(await containerOf(ctx.stack, 'api'), before, 'the same container, restarted');
    assert.equal((await fetch(link)).status, 200, 'the link opens its page');
    await finish(ctx, r, handle, link);
  });

  test('down and up: parked onboardings and their links are still there', async () => {
    const ctx = context();
    const parkedOnes = [await parked(ctx, 'down-a'), await parked(ctx, 'down-b')];
    // Mailpit keeps its mails in its container, gone with `down`: the links are read before.
    const links = new Map<Registration, string>();
    for (const [r] of parkedOnes) {
      await mailsOnce(r);
      links.set(r, await linkFromMail(r.email));
    }
    await composeOk(ctx.stack, ['down'], { timeoutMs: 120_000 });
    assert.equal((await serviceStates(ctx.stack)).length, 0, 'no container left');
    await composeOk(ctx.stack, ['up', '-d', '--no-build'], { timeoutMs: 240_000 });
    await waitReady(ctx.stack, 180_000);
    for (const [r, handle] of parkedOnes) {
      await finish(ctx, r, handle, links.get(r));
      await keystoneOnce(ctx, r);
    }
  });
}
