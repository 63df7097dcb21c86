// What the setpass API scenarios share: the API as a real process that can be killed and
// restarted on the same token store, Keystone people with a live token, and small HTTP helpers.
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import { freePort, startProcess, type RunningProcess } from '../support/processes';
import { formSession } from '../support/forms';
import { adminToken, newKeystonePerson, testConfig } from '../support/services';
import type { Figures, ScenarioResult } from './scenario';
import { pool } from '../support/pool';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ApiProcess {
  url: string;
  /** The settings the process runs with (same environment), for Keystone and Temporal calls. */
  config: Config;
  env: Record<string, string>;
  current(): RunningProcess;
  /**
   * Stops the process with `signal` and starts it again on the same port and token store.
   * Resolves with how long the stop took; `forced` when it needed a SIGKILL after GRACE_MS.
   */
  restart(signal?: NodeJS.Signals): Promise<Stopped>;
  /** Every line the process logged that reports a failed request (a 500). */
  failures(): string[];
  stop(): Promise<Stopped>;
}

export interface Stopped {
  ms: number;
  forced: boolean;
}

/** How long a stopping API may take before it is killed: a stuck stop must not hang the run. */
export const GRACE_MS = 10_000;

async function stopWithin(running: RunningProcess, signal: NodeJS.Signals): Promise<Stopped> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), GRACE_MS)));
  const forced = await Promise.race([running.stop(signal).then(() => false), late]);
  clearTimeout(timer);
  if (forced) await running.stop('SIGKILL');
  return { ms: Date.now() - started, forced };
}

/** `api/server.ts` as operators run it, on a free port and a private SQLite token store. */
export async function startApi(env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-reliability-'));
  const url = `http://127.0.0.1:${port}/`;
  const full: Record<string, string> = {
    KAIZEN_SETPASS__PORT: String(port),
    KAIZEN_SETPASS__SETPASS_URL: url,
    KAIZEN_SETPASS__DATABASE: join(dir, 'setpass.sqlite'),
    ...env,
  };
  const config = testConfig(full);
  const start = () => startProcess('api/server.ts', full, /setpass API listening/);
  let running = await start();
  // Output of earlier incarnations, kept for the 500 check.
  let earlier = '';
  return {
    url,
    config,
    env: full,
    current: () => running,
    async restart(signal = 'SIGTERM') {
      const stopped = await stopWithin(running, signal);
      earlier += running.output();
      running = await start();
      return stopped;
    },
    failures: () =>
      (earlier + running.output()).split('\n').filter((l) => l.includes('"request failed"')),
    stop: () => stopWithin(running, 'SIGTERM'),
  };
}

export interface Person {
  name: string;
  userId: string;
  temporary: string;
  pin: string;
  token: string;
}

/** A Keystone user with a temporary password and a set-password token issued for it. */
export async function newPerson(api: ApiProcess, prefix = 'rel'): Promise<Person> {
  const { name, userId, temporary } = await newKeystonePerson(api.config, prefix, 'Reliability');
  const pin = String(randomInt(1000, 10000));
  const token = await issueToken(api, userId, { password: temporary, pin });
  return { name, userId, temporary, pin, token };
}

/** PUT /token/<userId> as the worker does, with an admin token. */
export async function issueToken(
  api: ApiProcess,
  userId: string,
  body: { password?: string; pin?: string; workflow_id?: string },
): Promise<string> {
  const response = await fetch(new URL(`token/${userId}`, api.url), {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-auth-token': await adminToken(api.config),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) {
    const logged = api.failures().slice(-1).join('');
    throw new Error(`PUT /token answered ${response.status}: ${text} ${logged}`);
  }
  return text;
}

/** Deletes test users afterwards, best effort: a failed cleanup must not hide the result. */
export async function deleteUsers(config: Config, userIds: string[]): Promise<void> {
  const keystone = keystoneFromConfig(config);
  await pool(userIds, 4, async (id) => {
    await keystone.request('DELETE', `/users/${id}`).catch(() => undefined);
  });
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
  ms: number;
}

/** One request, timed until the whole body is read; `from` is the client address via the proxy. */
export async function send(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
    from?: string;
  } = {},
): Promise<Answer> {
  const headers = { ...init.headers, ...(init.from ? { 'x-forwarded-for': init.from } : {}) };
  const started = performance.now();
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await response.text();
  return {
    status: response.status,
    text,
    headers: response.headers,
    ms: performance.now() - started,
  };
}

export { postForm, type FormSession as Session } from '../support/forms';

/** The CSRF cookie and field a browser gets from the reset page (any form page sets the same). */
export const session = (apiUrl: string, from?: string) =>
  formSession(new URL('reset', apiUrl).toString(), { from });

/** A distinct client address per index (10.x.y.z), as the proxy would report it. */
export const address = (base: number, i: number) =>
  `10.${base}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;

/** Fails the current run with `message` unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** Named checks of one scenario execution: each failed check counts as one failed run. */
export class Checks {
  private readonly results: { name: string; failure?: string }[] = [];

  check(name: string, ok: boolean, detail: string): void {
    this.results.push(ok ? { name } : { name, failure: `${name}: ${detail}` });
  }

  /** Runs `body`; a throw there is one more failed check. */
  async step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
      this.results.push({ name });
    } catch (err) {
      this.results.push({ name, failure: `${name}: ${(err as Error).message}` });
    }
  }

  result(figures: Figures): ScenarioResult {
    const failures = this.results.flatMap((r) => (r.failure ? [r.failure] : []));
    return {
      runs: this.results.length,
      passed: this.results.length - failures.length,
      figures,
      failures,
    };
  }
}
