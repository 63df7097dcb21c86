// An upgrade as an operator does it, through the containers only: docker-compose.yml runs the
// last release's image (scripts/release-image.sh) with that release's example settings; its CLI
// parks two onboardings; the operator applies CHANGELOG.md's upgrading notes to settings.ini and
// rolls the services one at a time to today's image. The first person sets the password midway
// (today's worker, the release's API), the second once all is rolled: both complete, Keystone
// takes both passwords, and nothing was done twice.
//
// npm test runs it; alone (with the services and engine of test/stack/stack.test.ts):
//   scripts/release-image.sh && node --import tsx --test test/stack/upgrade.test.ts
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { statusQuery, type Registration } from '../../shared/onboarding';
import {
  composeOk,
  connectToStack,
  docker,
  downStack,
  prepareStack,
  renderCompose,
  serviceStates,
  waitReady,
  type Stack,
} from '../support/compose-stack';
import { finish } from './faults';
import { runCommand } from '../support/run-command';
import { git, RELEASE, releaseCommit } from '../support/release';
import { REQUIRED_CLAIM } from '../support/stack-folder';
import { adminToken, eventually, testConfig, uniqueName } from '../support/services';

const FROM = process.env.KAIZEN_UPGRADE_FROM ?? RELEASE;
const RELEASE_IMAGE = `kaizen-onboarding:${FROM.replace(/[^\w.-]/g, '-')}`;
const TODAY_IMAGE = process.env.KAIZEN_APP_IMAGE ?? 'kaizen-onboarding:test';
/** Rolled in this order: the worker first, so the new code runs before anything new calls it. */
const APP_SERVICES = ['worker', 'api', 'codec', 'schedules'];

const imageOf = async (stack: Stack, service: string): Promise<string> => {
  const id = (await composeOk(stack, ['ps', '-q', service])).trim();
  return (await docker('inspect', '-f', '{{.Config.Image}}', id)).stdout.trim();
};

/** CHANGELOG.md's upgrading note: a bearer codec endpoint now needs [codec] required_claim. */
function applyUpgradingNotes(settingsFile: string): void {
  const text = readFileSync(settingsFile, 'utf8');
  if (/^required_claim\s*=/m.test(text)) return;
  const updated = text.replace(/^\[codec\]\n/m, `[codec]\nrequired_claim = ${REQUIRED_CLAIM}\n`);
  assert.notEqual(updated, text, 'settings.ini has a [codec] section');
  writeFileSync(settingsFile, updated);
}

/**
 * The release's containers run without the health checks its own docker-compose.yml did not
 * have: they probe what only today's image provides (the worker's ready file). Rolled services
 * get today's checks, and must pass them.
 */
async function withoutNewHealthChecks(stack: Stack, releaseCompose: string): Promise<void> {
  const checked = await runCommand(
    'python3',
    [
      '-c',
      "import sys, yaml; d = yaml.safe_load(sys.stdin); print(' '.join(n for n, s in d['services'].items() if 'healthcheck' in s))",
    ],
    { input: releaseCompose },
  );
  assert.equal(checked.code, 0, checked.stderr);
  const hadCheck = checked.stdout.trim().split(' ');
  const file = JSON.parse(readFileSync(stack.file, 'utf8')) as {
    services: Record<string, { healthcheck?: unknown }>;
  };
  for (const service of APP_SERVICES)
    if (!hadCheck.includes(service) && file.services[service]?.healthcheck)
      file.services[service].healthcheck = { disable: true };
  writeFileSync(stack.file, JSON.stringify(file, null, 1));
}

describe(`docker-compose.yml upgraded from ${FROM}, service by service, onboardings parked`, () => {
  let stack: Stack | undefined;
  let config: Config;
  let client: Client | undefined;
  const parked: [Registration, WorkflowHandle][] = [];

  before(async () => {
    await adminToken(testConfig()).catch((err: Error) => {
      throw new Error(
        `the host's Keystone does not answer (scripts/services.sh start): ${err.message}`,
      );
    });
    const found = await docker('image', 'inspect', RELEASE_IMAGE);
    assert.equal(found.code, 0, `image ${RELEASE_IMAGE} missing: scripts/release-image.sh`);
    const { commit } = releaseCommit();
    const exampleSettings = git('show', `${commit}:example_settings.ini`);
    stack = await prepareStack({
      project: 'kaizen-upgrade',
      appImage: RELEASE_IMAGE,
      exampleSettings,
    });
    await withoutNewHealthChecks(stack, git('show', `${commit}:docker-compose.yml`));
    await composeOk(stack, ['down', '-v', '--remove-orphans']);
    await composeOk(stack, ['up', '-d', '--no-build'], { timeoutMs: 240_000 });
    await waitReady(stack, 180_000);
    ({ config, client } = await connectToStack(stack));
  });

  after(async () => {
    await client?.connection.close();
    if (stack) await downStack(stack);
  });

  test(`${FROM}'s CLI parks two onboardings on ${FROM}'s worker`, async () => {
    for (const service of APP_SERVICES)
      assert.equal(await imageOf(stack!, service), RELEASE_IMAGE, service);
    for (const prefix of ['upg-a', 'upg-b']) {
      const id = uniqueName(prefix);
      const registration = {
        email: `${id}@example.org`,
        firstName: 'Up',
        lastName: 'Grade',
        project: `P-${id}`,
        pin: '2604',
      };
      const out = await composeOk(
        stack!,
        ['exec', '-T', 'worker', 'node', '--import', 'tsx', 'cli/main.ts', 'start', '--json', '-'],
        { input: JSON.stringify(registration), timeoutMs: 120_000 },
      );
      assert.match(out, /waiting-for-password/, out);
      const workflowId = /started: (\S+)/.exec(out)?.[1];
      assert.ok(workflowId, out);
      parked.push([registration, client!.workflow.getHandle(workflowId)]);
    }
  });

  test("rolled one service at a time to today's image: both complete", async (t) => {
    assert.equal(parked.length, 2, 'the release parked two onboardings');
    applyUpgradingNotes(join(stack!.dir, 'settings.ini'));
    const today = { KAIZEN_APP_IMAGE: TODAY_IMAGE };
    stack!.file = (await renderCompose(stack!.dir, stack!.ports, today)).path;
    const ctx = { stack: stack!, config, client: client! };
    for (const service of APP_SERVICES) {
      const started = performance.now();
      await composeOk(stack!, ['up', '-d', '--no-deps', service], { timeoutMs: 120_000 });
      await waitReady(stack!, 120_000);
      assert.equal(await imageOf(stack!, service), TODAY_IMAGE, `${service} rolled`);
      t.diagnostic(`${service}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      // Midway: today's worker, the release's API.
      if (service === 'worker') await finish(ctx, ...parked[0]!);
    }
    const states = await serviceStates(stack!);
    assert.ok(
      states.every((s) => s.restarts === 0),
      `no restart loop: ${JSON.stringify(states.filter((s) => s.restarts > 0))}`,
    );
    const step = await eventually('the second still waiting', () =>
      parked[1]![1].query(statusQuery),
    );
    assert.equal(step.step, 'waiting-for-password');
    await finish(ctx, ...parked[1]!);
  });
});
