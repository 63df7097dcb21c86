// random-tokens: guessed tokens against the set-password endpoint. None is accepted, the
// per-address and per-token limits engage, and the real person's link still works afterwards.
import { randomBytes } from 'node:crypto';
import { keystoneLogin } from '../support/services';
import {
  address,
  Checks,
  deleteUsers,
  newPerson,
  postForm,
  send,
  session,
  sleep,
  startApi,
  type Answer,
  type Session,
} from './api-support';
import { pool } from '../support/pool';
import type { Scenario } from './scenario';

// Tokens are 32 random bytes in base64url (43 characters): guesses look exactly like them.
const guess = () => randomBytes(32).toString('base64url');

interface Tally {
  tried: number;
  accepted: number;
  limited: number;
  unexpected: string[];
}

const tally = (): Tally => ({ tried: 0, accepted: 0, limited: 0, unexpected: [] });

/** One guess, alternately opening the link and posting the form with a PIN and password. */
async function attack(apiUrl: string, s: Session, from: string, i: number, t: Tally) {
  const token = guess();
  let answer: Answer;
  if (i % 2 === 0) {
    answer = await send(`${apiUrl}?token=${token}`, { from });
  } else {
    const fields = { token, pin: '1234', password: 'Guess-12345', confirm_password: 'Guess-12345' };
    answer = await postForm(apiUrl, fields, s, { from });
  }
  t.tried += 1;
  if (answer.status === 200) t.accepted += 1;
  else if (answer.status === 429) t.limited += 1;
  else if (answer.status !== 404 && t.unexpected.length < 5) {
    t.unexpected.push(`${answer.status} ${answer.text.slice(0, 80)}`);
  }
}

export const randomTokens: Scenario = {
  name: 'random-tokens',
  async run(mode, progress) {
    const total = mode === 'long' ? 10_000 : 500;
    const checks = new Checks();
    // Behind the TLS proxy: client addresses come from X-Forwarded-For, so the attacker and
    // the real person can be different clients, as they are in production.
    const api = await startApi({ KAIZEN_SETPASS__TRUST_PROXY: 'true' });
    const { rate_limit: perAddress, token_rate_limit: perToken } = api.config.setpass;
    const one = tally();
    const spread = tally();
    const users: string[] = [];
    let tokenLimited = 0;
    let spoofLimited = 0;
    let realUser = 'no';
    try {
      const person = await newPerson(api, 'rel-guess');
      users.push(person.userId);
      // The double-submit cookie is not bound to an address: one session serves every attacker.
      const s = await session(api.url, address(250, 0));

      progress(`${total / 2} guesses from one address`);
      const started = Date.now();
      await pool(
        Array.from({ length: total / 2 }, (_, i) => i),
        8,
        (i) => attack(api.url, s, address(1, 0), i, one),
      );
      // Fixed one-minute windows: a long run may see a fresh window or two.
      const windows = Math.ceil((Date.now() - started) / 60_000) + 1;
      checks.check(
        'one address: nothing accepted, limit engaged',
        one.accepted === 0 &&
          one.limited > 0 &&
          one.tried - one.limited <= perAddress * windows &&
          one.unexpected.length === 0,
        `accepted ${one.accepted}, 429 ${one.limited} of ${one.tried}, ${one.unexpected.join('; ')}`,
      );

      // A botnet that stays under the per-address limit: only the token's entropy protects.
      progress(`${total / 2} guesses spread over many addresses`);
      const perBot = Math.floor(perAddress / 2);
      await pool(
        Array.from({ length: total / 2 }, (_, i) => i),
        8,
        (i) => attack(api.url, s, address(2, Math.floor(i / perBot)), i, spread),
      );
      checks.check(
        'many addresses: nothing accepted',
        spread.accepted === 0 && spread.unexpected.length === 0,
        `accepted ${spread.accepted} of ${spread.tried}, ${spread.unexpected.join('; ')}`,
      );

      // One token (as from a leaked link) posted from many addresses: the per-token limit.
      const target = guess();
      for (let i = 0; i < perToken + 10; i++) {
        const fields = { token: target, pin: '1234', password: 'Guess-1', confirm_password: 'x' };
        const answer = await postForm(api.url, fields, s, { from: address(3, i) });
        if (answer.status === 429) tokenLimited += 1;
      }
      checks.check(
        'one token from many addresses: per-token limit engaged',
        tokenLimited === 10,
        `expected 10 answers 429 after ${perToken} attempts, got ${tokenLimited}`,
      );

      // A proxy that appends the peer address (nginx $proxy_add_x_forwarded_for, HAProxy,
      // Traefik) passes on whatever the client put first: that part must not be trusted.
      for (let i = 0; i < perAddress + 20; i++) {
        const answer = await send(`${api.url}?token=${guess()}`, {
          from: `${address(4, i)}, ${address(5, 0)}`,
        });
        if (answer.status === 429) spoofLimited += 1;
      }
      checks.check(
        'spoofed X-Forwarded-For behind an appending proxy: limit still engaged',
        spoofLimited > 0,
        `${perAddress + 20} guesses from one client (proxy-appended address ${address(5, 0)}) ` +
          'each with a different forged first X-Forwarded-For entry: no 429, the per-address ' +
          'limit keys on the forged entry',
      );

      await checks.step('the real person sets the password and logs in', async () => {
        const from = address(200, 0);
        const link = `${api.url}?token=${person.token}`;
        const page = await send(link, { headers: { accept: 'text/html' }, from });
        if (page.status !== 200) throw new Error(`the link answered ${page.status}`);
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
        const password = `Real-${guess()}`;
        const fields = {
          token: person.token,
          pin: person.pin,
          password,
          confirm_password: password,
        };
        const set = await postForm(api.url, fields, { cookie, csrf }, { from });
        if (set.status !== 200)
          throw new Error(`setting the password answered ${set.status}: ${set.text}`);
        await sleep(1100); // Keystone refuses a login in the same second as the change
        const login = await keystoneLogin(api.config, person.name, password);
        if (login.status !== 201) throw new Error(`Keystone login answered ${login.status}`);
        realUser = 'yes';
      });
    } finally {
      await api.stop();
      await deleteUsers(api.config, users);
    }
    return checks.result({
      tried: one.tried + spread.tried,
      accepted: one.accepted + spread.accepted,
      '429 one address': one.limited,
      '429 spread': spread.limited,
      '429 per token': tokenLimited,
      '429 spoofed XFF': spoofLimited,
      'real user set': realUser,
    });
  },
};
