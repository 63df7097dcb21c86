// pin-lockout: wrong PINs lock the link after max_attempts, and neither a crash in the middle
// nor a restart afterwards gives the guesser fresh attempts: the count lives in the token store.
import { keystoneLogin } from '../support/services';
import {
  check,
  deleteUsers,
  newPerson,
  postForm,
  send,
  session,
  startApi,
  type ApiProcess,
} from './api-support';
import { repeat, type Scenario } from './scenario';

const LOCKED = /Link locked/;

export const pinLockout: Scenario = {
  name: 'pin-lockout',
  async run(mode, progress) {
    const runs = mode === 'long' ? 10 : 2;
    // Both stores operators can choose; PostgreSQL only where the services provide one.
    const postgres = process.env.KAIZEN_TEST_POSTGRES_URL;
    const apis: { store: string; api: ApiProcess }[] = [];
    const users: string[] = [];
    const attemptsUntilLocked: number[] = [];
    let lockedAfterRestart = 0;
    try {
      apis.push({ store: 'sqlite', api: await startApi() });
      if (postgres) {
        apis.push({
          store: 'postgresql',
          api: await startApi({ KAIZEN_SETPASS__DATABASE: postgres }),
        });
      }
      const result = await repeat(
        runs,
        async (i) => {
          const { store, api } = apis[i % apis.length]!;
          const max = api.config.setpass.max_attempts;
          const person = await newPerson(api, 'rel-pin');
          users.push(person.userId);
          const s = await session(api.url);
          const wrongPin = (k: number) =>
            String((Number(person.pin) + 1 + k) % 10_000).padStart(4, '0');
          const post = (pin: string) =>
            postForm(
              api.url,
              {
                token: person.token,
                pin,
                password: 'Chosen-1234',
                confirm_password: 'Chosen-1234',
              },
              s,
            );

          // Wrong PINs up to one short of the limit, then a crash: the counter must survive it.
          let attempts = 0;
          let answer = await post(wrongPin(attempts++));
          while (!LOCKED.test(answer.text) && attempts < max + 3) {
            if (attempts === max - 1) {
              progress(`run ${i + 1} (${store}): SIGKILL after ${attempts} wrong PINs`);
              await api.restart('SIGKILL');
            }
            answer = await post(wrongPin(attempts++));
          }
          attemptsUntilLocked.push(attempts);
          check(LOCKED.test(answer.text), `not locked after ${attempts} wrong PINs`);
          check(attempts === max, `locked after ${attempts} wrong PINs, max_attempts is ${max}`);

          progress(`run ${i + 1} (${store}): locked; SIGTERM and start again`);
          await api.restart('SIGTERM');
          const right = await post(person.pin);
          const page = await send(`${api.url}?token=${person.token}`);
          check(
            right.status === 403 && LOCKED.test(right.text),
            `the right PIN after the restart answered ${right.status}: ${right.text}`,
          );
          check(
            page.status === 403 && LOCKED.test(page.text),
            `the link after the restart answered ${page.status}: ${page.text}`,
          );
          const login = await keystoneLogin(api.config, person.name, person.temporary);
          check(login.status === 201, `the temporary password changed (login ${login.status})`);
          lockedAfterRestart += 1;
        },
        () => ({
          stores: apis.map((a) => a.store).join('+'),
          'max attempts': apis[0]?.api.config.setpass.max_attempts ?? 0,
          'attempts until locked': [...new Set(attemptsUntilLocked)].join('/'),
          'locked after restart': `${lockedAfterRestart}/${runs}`,
        }),
      );
      return result;
    } finally {
      for (const { api } of apis) await api.stop();
      if (apis[0]) await deleteUsers(apis[0].api.config, users);
    }
  },
};
