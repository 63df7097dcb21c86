// docker-compose.yml itself, run for real: the operators' file with deploy/compose.test.yml (the
// local stand-ins of its images, every container on the host network, ports off the host's own
// services, settings and secrets in a temporary folder) on the project's own engine. Every
// service comes up healthy, running or completed; the setpass API and the codec endpoint answer;
// Temporal has the search attributes; an onboarding started with the image's CLI goes through
// the stack's worker and Mailpit, the person sets the password on the stack's API with the PIN,
// and the host's Keystone accepts it (201). A second `up` leaves it all as it was. Then the
// faults of test/stack/faults.ts on the same stack: a worker killed, Temporal and the API
// restarted, down and up.
//
// npm test runs it; alone:
//   scripts/docker-engine.sh start && scripts/images.sh stack
//   eval "export $(scripts/docker-engine.sh env)"
//   scripts/services.sh start && . .state/services.env   # the host's Keystone, Nova, Cinder, Neutron
//   node --import tsx --test test/stack/stack.test.ts
// The stack's logs are left in test-artifacts/kaizen-test.log (the project name).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../config/schema';
import { searchAttributes } from '../../shared/onboarding';
import {
  composeOk,
  connectToStack,
  docker,
  downStack,
  listeners,
  prepareStack,
  serviceStates,
  waitReady,
  type Stack,
} from '../support/compose-stack';
import { faultTests } from './faults';
import { overridePortNames, portNames } from '../support/stack-folder';
import { setPasswordFromMail } from '../support/forms';
import { adminToken, keystoneLogin, testConfig, uniqueName } from '../support/services';

const PIN = '3917';

const networks = async () => (await docker('network', 'ls', '-q')).stdout.trim().split('\n');

describe('docker-compose.yml with the stand-ins, on the host network', () => {
  let stack: Stack | undefined;
  let config: Config;
  let client: Client | undefined;
  let networksBefore: string[];
  let listenersBefore: string[];
  const timings: Record<string, number> = {};

  before(async () => {
    assert.ok(
      process.env.KAIZEN_AUTH__AUTH_URL && process.env.KAIZEN_AUTH__ADMIN_PWD,
      'the host services are needed: scripts/services.sh start, then source .state/services.env',
    );
    await adminToken(testConfig()).catch((err: Error) => {
      throw new Error(
        `the host's Keystone does not answer (scripts/services.sh start): ${err.message}`,
      );
    });
    stack = await prepareStack();
    for (const image of stack.images) {
      const found = await docker('image', 'inspect', image);
      assert.equal(found.code, 0, `image ${image} missing: scripts/images.sh stack`);
    }
    await composeOk(stack, ['down', '-v', '--remove-orphans']); // what a failed run left
    networksBefore = await networks();
    listenersBefore = await listeners();

    const started = performance.now();
    await composeOk(stack, ['up', '-d', '--no-build'], { timeoutMs: 240_000 });
    timings.upSeconds = (performance.now() - started) / 1000;
    await waitReady(stack, 180_000);
    timings.readySeconds = (performance.now() - started) / 1000;

    ({ config, client } = await connectToStack(stack));
  });

  after(async () => {
    await client?.connection.close();
    if (stack) await downStack(stack);
  });

  test('every service healthy, running or completed; no network made, nothing off loopback', async (t) => {
    t.diagnostic(
      `up -d: ${timings.upSeconds?.toFixed(1)} s; all ready: ${timings.readySeconds?.toFixed(1)} s`,
    );
    const states = await serviceStates(stack!);
    for (const name of stack!.services) {
      const state = states.find((s) => s.service === name);
      assert.ok(state, `${name} has a container`);
      assert.equal(state.restarts, 0, `${name} never restarted`);
    }
    assert.ok(
      !stack!.services.includes('temporal-ui'),
      'the Web UI and tls are left out (their test: admins-window.test.ts)',
    );
    assert.deepEqual(overridePortNames().sort(), portNames().sort());
    assert.deepEqual(await networks(), networksBefore, 'no network was created');
    const added = (await listeners()).filter((l) => !listenersBefore.includes(l));
    const wide = added.filter((l) => !l.startsWith('127.0.0.1:'));
    assert.deepEqual(wide, [], 'the stack listens on 127.0.0.1 only');
    for (const name of ['PG', 'TEMPORAL', 'SMTP', 'MAIL_HTTP', 'API', 'CODEC'] as const)
      assert.ok(added.includes(`127.0.0.1:${stack!.ports[name]}`), `something listens on ${name}`);
  });

  test('the setpass API and the codec endpoint answer; the codec wants a token', async () => {
    const api = await fetch(`http://127.0.0.1:${stack!.ports.API}/healthz`);
    assert.equal(api.status, 200);
    const codec = `http://127.0.0.1:${stack!.ports.CODEC}`;
    assert.equal((await fetch(`${codec}/healthz`)).status, 200);
    const decode = await fetch(`${codec}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(decode.status, 401);
  });

  test('temporal-init registered the five search attributes with their types', async () => {
    const { customAttributes } = await client!.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    for (const key of Object.values(searchAttributes)) {
      const type =
        `INDEXED_VALUE_TYPE_${key.type}` as keyof typeof temporal.api.enums.v1.IndexedValueType;
      assert.equal(
        customAttributes?.[key.name],
        temporal.api.enums.v1.IndexedValueType[type],
        key.name,
      );
    }
  });

  test("an onboarding with the image's CLI: mail, password set with the PIN, Keystone 201", async () => {
    const id = uniqueName('stack');
    const registration = {
      email: `${id}@example.org`,
      firstName: 'Com',
      lastName: 'Pose',
      project: `Proj-${id}`,
      pin: PIN,
    };
    // The image's CLI in the worker's container (its settings and secrets). Not `run`:
    // docker-compose 1.29 links a new container to its dependencies, refused on the host network.
    const out = await composeOk(
      stack!,
      ['exec', '-T', 'worker', 'node', '--import', 'tsx', 'cli/main.ts', 'start', '--json', '-'],
      { input: JSON.stringify(registration), timeoutMs: 120_000 },
    );
    assert.match(out, /waiting-for-password/);
    const workflowId = /started: (\S+)/.exec(out)?.[1];
    assert.ok(workflowId, out);

    const password = `Stack-${randomUUID()}`;
    const answer = await setPasswordFromMail(registration.email, PIN, password);
    assert.equal(answer.status, 200, answer.text);
    assert.equal((await keystoneLogin(config, registration.email, password)).status, 201);
    const result = (await client!.workflow.getHandle(workflowId).result()) as { outcome: string };
    assert.equal(result.outcome, 'completed');
  });

  test('a second up changes nothing: the jobs run again and complete', async () => {
    const started = performance.now();
    await composeOk(stack!, ['up', '-d', '--no-build'], { timeoutMs: 120_000 });
    await waitReady(stack!, 120_000);
    const states = await serviceStates(stack!);
    assert.ok(states.every((s) => s.restarts === 0));
    assert.equal(
      (await fetch(`http://127.0.0.1:${stack!.ports.API}/healthz`)).status,
      200,
      `after ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  faultTests(() => ({ stack: stack!, config, client: client! }));
});
