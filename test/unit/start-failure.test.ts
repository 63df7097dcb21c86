// Bad configuration at start-up: which failures a restart cannot mend, and what each one says.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { databaseRefusal } from '../../api/database-refusal';
import { ConfigError, parseConfig } from '../../config/load';
import { startFailure } from '../../lib/process-entry';

const WAIT = { KAIZEN_ON_BAD_CONFIG: 'wait' };
const where = 'postgresql://kaizen:***@db:5432/setpass';
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('bad configuration in the image: the process says how to apply the fix and waits', () => {
  const err = new ConfigError(['[auth] auth_url (or KAIZEN_AUTH__AUTH_URL) is required: …']);
  const failure = startFailure('worker', err, { service: 'worker', env: WAIT });
  assert.equal(failure.wait, true);
  assert.match(failure.message, /^worker cannot start: configuration is not valid:/);
  assert.match(failure.message, /\[auth\] auth_url \(or KAIZEN_AUTH__AUTH_URL\) is required/);
  assert.match(failure.message, /then apply it with: docker compose up -d --force-recreate worker/);
  assert.match(
    startFailure('codec endpoint', err, { env: WAIT }).message,
    /recreate or restart this container/,
  );
});

test('outside the image, and for failures a restart may mend, the process exits as before', () => {
  const bad = new ConfigError(['x']);
  const plain = startFailure('worker', bad, { service: 'worker', env: {} });
  assert.deepEqual(plain, {
    message: 'worker stopped: configuration is not valid:\n  - x',
    wait: false,
  });
  const unreachable = new Error('cannot reach Temporal at temporal:7233');
  assert.deepEqual(startFailure('worker', unreachable, { env: WAIT }), {
    message: 'worker stopped: cannot reach Temporal at temporal:7233',
    wait: false,
  });
  assert.equal(
    startFailure('worker', 'odd', { env: { KAIZEN_ON_BAD_CONFIG: 'exit' } }).wait,
    false,
  );
});

test('a refused login or a missing database is bad configuration; an outage is not', () => {
  const refused = databaseRefusal(
    pgError('28P01', 'password authentication failed for user "kaizen"'),
    where,
  );
  assert.equal(
    refused,
    '[setpass] database (or KAIZEN_SETPASS__DATABASE, or the file KAIZEN_SETPASS__DATABASE_FILE ' +
      `names): PostgreSQL at ${where} refused it (28P01: password authentication failed for ` +
      'user "kaizen"): put the right password in the URL',
  );
  const wrapped = new Error('cannot connect', {
    cause: pgError('3D000', 'database "setpass" does not exist'),
  });
  assert.match(databaseRefusal(wrapped, where) ?? '', /3D000: .*: create that database/);
  assert.match(
    databaseRefusal(pgError('28000', 'role "x" does not exist'), where) ?? '',
    /pg_hba\.conf/,
  );
  for (const transient of [
    pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    pgError('57P03', 'the database system is starting up'),
    new Error('timeout expired'),
    'not an error',
  ])
    assert.equal(databaseRefusal(transient, where), undefined);
});

test('a secret file that cannot be read: why, and the fix, for the setting it holds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-secret-'));
  mkdirSync(join(dir, 'a-directory'));
  const problems = (file: string): string => {
    try {
      parseConfig({}, { KAIZEN_SECRETS__CODEC_KEY_FILE: file });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.join('\n');
    }
    return '';
  };
  assert.doesNotMatch(problems(join(dir, 'missing')), /codec_key .* is required/, 'said once');
  assert.match(
    problems(join(dir, 'missing')),
    /KAIZEN_SECRETS__CODEC_KEY_FILE names \S+missing, which cannot be read \(no such file: write \[secrets\] codec_key into it, or mount it there/,
  );
  assert.match(
    problems(join(dir, 'a-directory')),
    /which cannot be read \(it is a directory: name the file that holds \[secrets\] codec_key\)/,
  );
});
