// api-restart: the setpass API is killed (SIGKILL) and later stopped (SIGTERM) and started
// again while people are setting their passwords, each time with a request in flight. Everyone
// retries as a person would (reload the link, post again); afterwards every chosen password
// works, every token is consumed, and none was accepted twice.
import { randomUUID } from 'node:crypto';
import { quantile } from '../../bench/table';
import { keystoneLogin } from '../support/services';
import {
  address,
  Checks,
  GRACE_MS,
  deleteUsers,
  newPerson,
  postForm,
  send,
  sleep,
  startApi,
  type Person,
  type Stopped,
} from './api-support';
import { pool } from '../support/pool';
import type { Scenario } from './scenario';

const KILL_AFTER_MS = 20;

type Outcome = 'set' | 'gone' | 'conflict' | 'gave-up';

interface Attempt {
  person: Person;
  from: string;
  password: string;
  outcome?: Outcome;
  tries: number;
  /** Why tries did not finish: shown when the person gives up. */
  trouble: Set<string>;
}

export const apiRestart: Scenario = {
  name: 'api-restart',
  async run(mode, progress) {
    const people = mode === 'long' ? 50 : 10;
    // People arrive spread over this window, so that the restarts fall among them.
    const spreadMs = mode === 'long' ? 30_000 : 8_000;
    const checks = new Checks();
    // Each person is their own client address (via the proxy): no shared rate limit.
    const api = await startApi({ KAIZEN_SETPASS__TRUST_PROXY: 'true' });
    const attempts: Attempt[] = [];
    const restarts: string[] = [];
    let graceful: Stopped | undefined;
    // Start times of the form posts under way.
    const inFlight = new Set<number>();
    const postMs: number[] = [];
    let finished = 0;
    try {
      progress(`creating ${people} people with tokens`);
      await pool(
        Array.from({ length: people }, (_, i) => i),
        4,
        async (i) => {
          attempts.push({
            person: await newPerson(api, 'rel-restart'),
            from: address(7, i),
            password: `New-${randomUUID()}`,
            tries: 0,
            trouble: new Set(),
          });
        },
      );

      /** One person: open the link, post the form; on no answer, wait and do it again. */
      const setPassword = async (a: Attempt) => {
        await sleep(Math.random() * spreadMs);
        const link = `${api.url}?token=${a.person.token}`;
        const deadline = Date.now() + 120_000;
        while (!a.outcome && Date.now() < deadline) {
          a.tries += 1;
          try {
            const page = await send(link, { headers: { accept: 'text/html' }, from: a.from });
            if (page.status === 404) {
              a.outcome = 'gone';
              break;
            }
            if (page.status !== 200) throw new Error(`link answered ${page.status}`);
            const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
            const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
            const fields = {
              token: a.person.token,
              pin: a.person.pin,
              password: a.password,
              confirm_password: a.password,
            };
            const started = performance.now();
            inFlight.add(started);
            const answer = await postForm(
              api.url,
              fields,
              { cookie, csrf },
              { from: a.from },
            ).finally(() => inFlight.delete(started));
            postMs.push(answer.ms);
            if (answer.status === 200) a.outcome = 'set';
            else if (answer.status === 404) a.outcome = 'gone';
            else if (answer.status === 409) a.outcome = 'conflict';
            else throw new Error(`form answered ${answer.status}`);
          } catch (err) {
            // The API is down or restarting (or answered oddly): a person tries again shortly.
            const cause = (err as Error).cause as Error | undefined;
            a.trouble.add(`${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
            await sleep(300);
          }
        }
        a.outcome ??= 'gave-up';
        finished += 1;
      };

      // Past the form checks and the store lookup, inside the Keystone call: the worst moment.
      const deepInFlight = () =>
        [...inFlight].some((started) => performance.now() - started >= KILL_AFTER_MS);
      /** Restarts with `signal` as soon as `ready()` and a form post is well under way. */
      const restartWhen = async (ready: () => boolean, signal: NodeJS.Signals) => {
        while (finished < people && !(ready() && deepInFlight())) await sleep(2);
        if (finished >= people) return;
        const flying = inFlight.size;
        progress(`${signal} with ${flying} form post(s) in flight, ${finished} people done`);
        const stopped = await api.restart(signal);
        restarts.push(`${signal}(${flying} in flight)`);
        if (signal === 'SIGTERM') graceful = stopped;
      };
      const chaos = (async () => {
        await restartWhen(() => finished >= people / 3, 'SIGKILL');
        await restartWhen(() => finished >= (2 * people) / 3, 'SIGTERM');
      })();
      await Promise.all(attempts.map(setPassword));
      await chaos;

      await sleep(1100); // Keystone refuses a login in the same second as the change
      const loginFails: string[] = [];
      const live: string[] = [];
      const reused: string[] = [];
      await pool(attempts, 4, async (a) => {
        const login = await keystoneLogin(api.config, a.person.name, a.password);
        if (login.status !== 201) loginFails.push(`${a.person.name} (${a.outcome})`);
        const page = await send(`${api.url}?token=${a.person.token}`, { from: a.from });
        if (page.status !== 404) live.push(`${a.person.name} (${a.outcome}): link ${page.status}`);
        // Posting again only where it worked once: a live token's first use is no reuse.
        if (a.outcome !== 'set') return;
        const again = await postForm(
          api.url,
          {
            token: a.person.token,
            pin: a.person.pin,
            password: `${a.password}-2`,
            confirm_password: `${a.password}-2`,
          },
          { cookie: 'kaizen_csrf=reliabilityreliability12', csrf: 'reliabilityreliability12' },
          { from: a.from },
        );
        if (again.status === 200) reused.push(a.person.name);
      });
      const count = (o: Outcome) => attempts.filter((a) => a.outcome === o).length;
      checks.check(
        'restarted twice with form posts in flight',
        restarts.length === 2,
        `only ${restarts.length} restart(s): everyone finished first`,
      );
      // Clients (and proxies) keep connections alive: the stop must not wait for them to leave.
      checks.check(
        'SIGTERM stop finishes within the grace time',
        !graceful?.forced,
        `the API still served kept-alive connections ${GRACE_MS / 1000} s after SIGTERM while ` +
          'no longer listening (new connections refused); killed',
      );
      checks.check(
        'every chosen password works',
        loginFails.length === 0,
        `${loginFails.length} cannot log in: ${loginFails.slice(0, 5).join(', ')}`,
      );
      checks.check(
        'every token consumed',
        live.length === 0,
        `${live.length} token(s) still live: ${live.slice(0, 5).join(', ')}`,
      );
      checks.check('no token accepted twice', reused.length === 0, `${reused.join(', ')}`);
      checks.check(
        'everyone saw success',
        count('set') === people,
        `${count('gone')} saw "link not valid" after a lost answer, ${count('conflict')} saw ` +
          `"already changed" (409), ${count('gave-up')} gave up (${attempts
            .flatMap((a) => (a.outcome === 'gave-up' ? [[...a.trouble].join(', ')] : []))
            .join('; ')})`,
      );
      return checks.result({
        people,
        restarts: restarts.join(' '),
        'SIGTERM stop s': graceful ? graceful.ms / 1000 : 'n/a',
        succeeded: count('set'),
        'answer lost (404 on retry)': count('gone'),
        '409 on retry': count('conflict'),
        'lost tokens': loginFails.length + count('gave-up'),
        'live tokens': live.length,
        'reused tokens': reused.length,
        'tries max': Math.max(...attempts.map((a) => a.tries)),
        'post median ms': quantile(postMs, 0.5),
      });
    } finally {
      await api.stop();
      await deleteUsers(
        api.config,
        attempts.map((a) => a.person.userId),
      );
    }
  },
};
