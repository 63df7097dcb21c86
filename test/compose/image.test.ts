// The project's image as operators run it: built from the Dockerfile (on the local stand-in of
// node:20-bookworm-slim, scripts/images.sh), the worker and the setpass API as containers on the
// project's own Docker engine, host network only, against the real local Temporal, Keystone,
// PostgreSQL and Mailpit. An onboarding goes through them; the person's password works.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { connectClient } from '../../lib/temporal';
import { startOnboarding } from '../../wiring/start-onboarding';
import { dockerHost } from '../support/docker';
import { setPasswordFromMail } from '../support/forms';
import { freePort } from '../support/processes';
import { eventually, keystoneLogin, testConfig, uniqueName } from '../support/services';

const run = promisify(execFile);
const IMAGE = process.env.KAIZEN_APP_IMAGE ?? 'kaizen-onboarding:test';
const PIN = '6204';
const PATIENT = { afterMs: [3_600_000], abandonAfterMs: 7_200_000, linkLifetimeMs: 172_800_000 };

const docker = (...args: string[]) =>
  run('docker', args, { env: { ...process.env, DOCKER_HOST: dockerHost() }, maxBuffer: 1 << 24 });

interface Container {
  name: string;
  output(): string;
}

/**
 * Runs `entry` (a script of the image) in a container on the host network, with every KAIZEN_*
 * setting of this test run, the example settings and the mail server's CA file mounted read-only;
 * resolves once `ready` is printed.
 */
async function startContainer(
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<Container> {
  const name = uniqueName('kaizen-test');
  // The image's own KAIZEN_SETTINGS (/app/settings.ini, mounted below) and bundle stay.
  const settings = { ...pick(process.env, /^KAIZEN_[A-Z_]+__[A-Z_]+$/), ...env };
  const caFile = settings.KAIZEN_MAIL__CA_FILE;
  const args = [
    'run',
    '--rm',
    '--name',
    name,
    '--network',
    'host',
    '-v',
    `${resolve('example_settings.ini')}:/app/settings.ini:ro`,
    ...(caFile ? ['-v', `${caFile}:${caFile}:ro`] : []),
    ...Object.keys(settings).flatMap((key) => ['-e', key]),
    IMAGE,
    entry,
  ];
  const child = spawn('docker', args, {
    env: { ...process.env, ...settings, DOCKER_HOST: dockerHost() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(
    `${entry} in a container to be ready`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${entry} exited: ${output.slice(-2000)}`);
      // Bad configuration: the image's process waits instead of exiting.
      if (/ cannot start: /.test(output)) throw new Error(`${entry}: ${output.slice(-2000)}`);
      return ready.test(output) ? true : undefined;
    },
    120_000,
  );
  return { name, output: () => output };
}

function pick(env: NodeJS.ProcessEnv, pattern: RegExp): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => pattern.test(e[0]) && !!e[1]),
  );
}

describe('the image: the worker and the setpass API as containers', () => {
  let config: Config;
  let client: Client;
  let env: Record<string, string>;
  const containers: Container[] = [];

  before(async () => {
    const apiPort = await freePort();
    env = {
      KAIZEN_TEMPORAL__TASK_QUEUE: uniqueName('image'),
      KAIZEN_SETPASS__PORT: String(apiPort),
      KAIZEN_SETPASS__SETPASS_URL: `http://127.0.0.1:${apiPort}/`,
      // PostgreSQL, as the compose stack runs it: the token store outlives the container.
      KAIZEN_SETPASS__DATABASE: process.env.KAIZEN_TEST_POSTGRES_URL ?? '',
    };
    assert.ok(env.KAIZEN_SETPASS__DATABASE, 'KAIZEN_TEST_POSTGRES_URL is set by services.sh');
    config = testConfig(env);
    client = await connectClient(config);
  });
  after(async () => {
    await client?.connection.close();
    for (const { name } of containers) await docker('rm', '-f', name).catch(() => undefined);
  });

  test('runs as the unprivileged user, read-only code, no build-time CA file, the CLI answers', async () => {
    const { stdout } = await docker(
      'run',
      '--rm',
      '--network',
      'host',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'id -u; test ! -e /app/.build-ca.pem && echo no-ca; test -w /app || echo read-only; node --version',
    );
    assert.deepEqual(stdout.trim().split('\n'), ['1000', 'no-ca', 'read-only', 'v20.18.0']);
    const help = await docker('run', '--rm', '--network', 'host', IMAGE, 'cli/main.ts', '--help');
    assert.match(help.stdout, /cancel WORKFLOW_ID REASON/);
  });

  test('an onboarding through the containers: mail, password set with the PIN, Keystone 201', async () => {
    containers.push(await startContainer('api/server.ts', env, /setpass API listening/));
    containers.push(await startContainer('worker.ts', env, /worker polling task queue/));
    const id = uniqueName('image');
    const registration = {
      email: `${id}@example.org`,
      firstName: 'Con',
      lastName: 'Tainer',
      project: `Proj-${id}`,
      pin: PIN,
    };
    const { handle } = await startOnboarding(client, config, registration, {
      taskQueue: env.KAIZEN_TEMPORAL__TASK_QUEUE,
      reminders: PATIENT,
    });
    const password = `Image-${randomUUID()}`;
    const answer = await setPasswordFromMail(registration.email, PIN, password);
    assert.equal(answer.status, 200, answer.text);
    assert.equal((await keystoneLogin(config, registration.email, password)).status, 201);
    assert.equal((await handle.result()).outcome, 'completed');
  });
});
