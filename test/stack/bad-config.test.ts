// Bad configuration with the real image and docker-compose.yml: three app services,
// each broken in its own way, in one `up` beside the stack's PostgreSQL.
//   worker  a missing secret file (KAIZEN_SECRETS__CODEC_KEY_FILE names what is not mounted)
//   api     a wrong database password in the setpass_database_url secret
//   codec   a required key ([auth] auth_url) removed from its settings.ini
// Each says in its log which setting and the fix, stays running but unhealthy (no restart), and
// writes nothing: no table in the setpass database, no connection to Temporal's address (the
// test listens there itself). Applying the API's fix as its log says makes it healthy. And where
// compose itself speaks: a `secrets:` file that does not exist is refused before any container.
//
//   eval "export $(scripts/docker-engine.sh env)"; . .state/services.env
//   KAIZEN_APP_IMAGE=kaizen-onboarding:test \
//     node --import tsx --test test/stack/bad-config.test.ts
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  compose,
  composeOk,
  docker,
  downStack,
  prepareStack,
  serviceStates,
  type ServiceState,
  type Stack,
} from '../support/compose-stack';
import { eventually } from '../support/services';

const BROKEN = ['worker', 'api', 'codec'];

interface Service {
  image?: string;
  secrets?: { source: string; target?: string }[];
  volumes?: string[];
  healthcheck?: Record<string, unknown>;
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

/** Swaps one of a service's secrets for another file mounted under the same name. */
function mountInstead(service: Service, name: string, source: string): void {
  service.secrets = (service.secrets ?? []).map((s) =>
    s.source === name ? { source, target: name } : s,
  );
}

/** The three faults and a fourth for compose itself, written into the rendered compose file. */
function breakServices(stack: Stack): { wrongPassword: string; missing: string } {
  const file = stack.file;
  const compose = JSON.parse(readFileSync(file, 'utf8')) as ComposeFile;
  const { worker, api, codec, schedules } = compose.services;
  assert.ok(worker && api && codec && schedules);

  worker.secrets = worker.secrets?.filter((s) => s.source !== 'codec_key');

  const url = readFileSync(compose.secrets.setpass_database_url!.file, 'utf8');
  const wrongPassword = randomBytes(12).toString('hex');
  const wrongUrl = url.replace(/(postgresql:\/\/temporal:)[^@]+@/, `$1${wrongPassword}@`);
  assert.notEqual(wrongUrl, url);
  const wrongFile = join(stack.dir, 'secrets', 'setpass_database_url_wrong');
  writeFileSync(wrongFile, wrongUrl, { mode: 0o644 });
  compose.secrets.setpass_database_url_wrong = { file: wrongFile };
  mountInstead(api, 'setpass_database_url', 'setpass_database_url_wrong');

  const settings = readFileSync(join(stack.dir, 'settings.ini'), 'utf8');
  const withoutAuthUrl = settings.replace(/^auth_url *=.*\n/m, '');
  assert.notEqual(withoutAuthUrl, settings);
  writeFileSync(join(stack.dir, 'settings-codec.ini'), withoutAuthUrl, { mode: 0o644 });
  codec.volumes = [`${join(stack.dir, 'settings-codec.ini')}:/app/settings.ini:ro`];

  const missing = join(stack.dir, 'secrets', 'never-written');
  compose.secrets.keystone_admin_pwd_missing = { file: missing };
  mountInstead(schedules, 'keystone_admin_pwd', 'keystone_admin_pwd_missing');

  // Quick verdicts; docker-compose.yml's own intervals are for operators.
  for (const service of [worker, api, codec])
    service.healthcheck = {
      ...service.healthcheck,
      interval: '1s',
      retries: 3,
      start_period: '0s',
    };
  writeFileSync(file, JSON.stringify(compose, null, 1));
  return { wrongPassword, missing };
}

/**
 * Counts connections to an address, here Temporal's: nobody should try it. It proves first that
 * it sees one (the test's own), and counts only the others.
 */
async function listenTrap(port: number): Promise<{ server: Server; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  await new Promise<void>((done) =>
    connect(port, '127.0.0.1')
      .on('error', () => undefined)
      .on('close', () => done()),
  );
  await eventually('the trap sees a connection', async () => (count === 1 ? true : undefined));
  return { server, connections: () => count - 1 };
}

const logs = async (stack: Stack, service: string) => {
  const result = await compose(stack, ['logs', '--no-color', service]);
  return result.stdout + result.stderr;
};

const state = (states: ServiceState[], service: string) => {
  const found = states.find((s) => s.service === service);
  assert.ok(found, `${service} has a container`);
  return found;
};

const setpassTables = async (stack: Stack) => {
  const sql = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
  const args = ['exec', '-T', 'postgresql', 'psql', '-U', 'temporal', '-d', 'setpass', '-tAc', sql];
  return Number((await composeOk(stack, args)).trim());
};

describe('bad configuration in the image: a sentence, not a crash loop', () => {
  let stack: Stack | undefined;
  let trap: Awaited<ReturnType<typeof listenTrap>> | undefined;
  let fault: ReturnType<typeof breakServices>;
  let settled: ServiceState[];
  const started = performance.now();

  before(async () => {
    stack = await prepareStack({ project: 'kaizen-badconfig' });
    for (const image of stack.images.filter((i) => /postgres|kaizen-onboarding/.test(i))) {
      const found = await docker('image', 'inspect', image);
      assert.equal(found.code, 0, `image ${image} missing: scripts/images.sh app and stack`);
    }
    await composeOk(stack, ['down', '-v', '--remove-orphans']); // what a failed run left
    fault = breakServices(stack);
    trap = await listenTrap(stack.ports.TEMPORAL);
    // PostgreSQL first, so the API meets a server that answers and refuses the login.
    await composeOk(stack, ['up', '-d', '--no-deps', 'postgresql'], { timeoutMs: 120_000 });
    await eventually(
      'PostgreSQL healthy',
      async () => ((await serviceStates(stack!))[0]?.health === 'healthy' ? true : undefined),
      90_000,
    );
    await composeOk(stack, ['up', '-d', '--no-deps', ...BROKEN], { timeoutMs: 120_000 });
    // Until all three are unhealthy; at once when one has exited or restarted (the old loop).
    settled = await eventually(
      'the broken services unhealthy, or one of them restarting',
      async () => {
        const states = (await serviceStates(stack!)).filter((s) => BROKEN.includes(s.service));
        const looping = states.some((s) => s.restarts > 0 || s.status !== 'running');
        const verdict = states.length === 3 && states.every((s) => s.health === 'unhealthy');
        return looping || verdict ? states : undefined;
      },
      90_000,
    );
  });

  after(async () => {
    trap?.server.close();
    if (stack) await downStack(stack);
  });

  test('each service is unhealthy and running, never restarted', async (t) => {
    t.diagnostic(
      `all three unhealthy after ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    // A few more health intervals: a loop would have restarted by now.
    await new Promise((r) => setTimeout(r, 5_000));
    const later = await serviceStates(stack!);
    for (const name of BROKEN) {
      for (const states of [settled, later]) {
        const s = state(states, name);
        assert.equal(s.health, 'unhealthy', `${name}: ${JSON.stringify(s)}`);
        assert.equal(s.status, 'running', `${name}: ${JSON.stringify(s)}`);
        assert.equal(s.restarts, 0, `${name}: ${JSON.stringify(s)}`);
      }
    }
  });

  test('each log names the setting, the fix and how to apply it', async () => {
    const expected: Record<string, RegExp[]> = {
      worker: [
        /KAIZEN_SECRETS__CODEC_KEY_FILE names \/run\/secrets\/codec_key, which cannot be read \(no such file: write \[secrets\] codec_key into it/,
        /docker compose up -d --force-recreate worker/,
      ],
      api: [
        /\[setpass\] database \(or KAIZEN_SETPASS__DATABASE, or the file KAIZEN_SETPASS__DATABASE_FILE names\): PostgreSQL at postgresql:\/\/temporal:\*\*\*@127\.0\.0\.1:\d+\/setpass refused it \(28P01: password authentication failed for user "temporal"\): put the right password in the URL/,
        /docker compose up -d --force-recreate api/,
      ],
      codec: [
        /\[auth\] auth_url \(or KAIZEN_AUTH__AUTH_URL\) is required: Keystone v3 endpoint/,
        /docker compose up -d --force-recreate codec/,
      ],
    };
    for (const [name, patterns] of Object.entries(expected)) {
      const text = await logs(stack!, name);
      for (const pattern of patterns) assert.match(text, pattern, `${name}'s log:\n${text}`);
      assert.doesNotMatch(text, /stopped:/, `${name} did not exit`);
      assert.ok(!text.includes(fault.wrongPassword), `${name}'s log holds no password`);
    }
  });

  test('nothing half-written: no setpass table, no call to Temporal', async () => {
    assert.equal(await setpassTables(stack!), 0, 'the setpass database has no table');
    assert.equal(trap!.connections(), 0, "no service connected to Temporal's address");
  });

  test("the API's fix, applied as its log says, makes it healthy and creates its tables", async () => {
    const file = stack!.file;
    const rendered = JSON.parse(readFileSync(file, 'utf8')) as ComposeFile;
    const wrong = rendered.secrets.setpass_database_url_wrong!.file;
    writeFileSync(wrong, readFileSync(rendered.secrets.setpass_database_url!.file));
    await composeOk(stack!, ['up', '-d', '--no-deps', '--force-recreate', 'api']);
    await eventually(
      'the API healthy',
      async () =>
        state(await serviceStates(stack!), 'api').health === 'healthy' ? true : undefined,
      60_000,
    );
    assert.ok((await setpassTables(stack!)) > 0, 'the store made its tables');
  });

  test('a secrets: file that does not exist: compose refuses the service and names the file', async () => {
    const result = await compose(stack!, ['up', '-d', '--no-deps', 'schedules']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /uses an undefined secret file/);
    assert.ok(result.stderr.includes(`bind source path does not exist: ${fault.missing}`));
    assert.equal(existsSync(fault.missing), false, 'compose made nothing in its place');
    const states = await serviceStates(stack!);
    assert.equal(
      states.some((s) => s.service === 'schedules'),
      false,
    );
  });
});
