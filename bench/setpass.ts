// Issue 8: the setpass API under load from a second process on loopback. The real API
// (api/server.ts) and a bare Koa reference (bench/bare-koa.ts) each run in their own process;
// autocannon fires from this one. Rows: the reference, the page GET, PUT /token and a wrong-PIN
// POST, each with requests/s, p50/p99 latency and the ratio to the reference; a second table
// gives the CPU each process used per answer over the same timed runs.
// Needs the local services (scripts/services.sh) and their environment (.state/services.env).
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { SecretBox } from '../api/secrets';
import { keystoneFromConfig } from '../wiring/keystone-from-config';
import { freePort, startProcess, type RunningProcess } from '../test/support/processes';
import { testConfig } from '../test/support/services';
import { median, type Table } from './table';
import {
  CONNECTIONS,
  WARMUP_SECONDS,
  loadCpuTable,
  loadParts,
  measure,
  seedTokens,
  stop,
} from './load';

/** Far above anything the load reaches: the rows measure the code, not the limiters. */
const HUGE_LIMIT = '1000000000';
/** The schema's maximum for max_attempts; the wrong-PIN row rotates tokens to stay under it. */
const MAX_ATTEMPTS = '100';
const ROOT = join(__dirname, '..');

function keystoneHashRounds(): string {
  const conf = join(process.env.KAIZEN_STATE_DIR ?? '.state', 'keystone', 'keystone.conf');
  try {
    return /^\s*password_hash_rounds\s*=\s*(\d+)/m.exec(readFileSync(conf, 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

export async function benchSetpass(options: {
  quick: boolean;
  progress: (msg: string) => void;
}): Promise<Table[]> {
  const { quick, progress } = options;
  const seconds = quick ? 3 : 10;
  const loadBefore = loadavg()[0] ?? 0;
  const limits = {
    KAIZEN_SETPASS__RATE_LIMIT: HUGE_LIMIT,
    KAIZEN_SETPASS__TOKEN_RATE_LIMIT: HUGE_LIMIT,
    KAIZEN_SETPASS__MAX_ATTEMPTS: MAX_ATTEMPTS,
  };
  const config = testConfig(limits); // a fresh SQLite token store in a temp directory
  const servers: RunningProcess[] = [];
  try {
    const apiPort = await freePort();
    progress('starting the setpass API…');
    const apiServer = await startProcess(
      join(ROOT, 'api', 'server.ts'),
      {
        ...limits,
        KAIZEN_SETPASS__DATABASE: config.setpass.database,
        KAIZEN_SETPASS__LISTEN_HOST: '127.0.0.1',
        KAIZEN_SETPASS__PORT: String(apiPort),
      },
      /setpass API listening/,
    );
    servers.push(apiServer);
    const api = `http://127.0.0.1:${apiPort}/`;

    const keystone = keystoneFromConfig(config);
    const adminToken = await keystone.token();
    // What one check of the admin token costs in Keystone, for reading the PUT /token row.
    const checkMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await keystone.canScopeToAdminProject(adminToken);
      checkMs.push(performance.now() - started);
    }
    const issued = await fetch(new URL('token/bench-page-user', api), {
      method: 'PUT',
      headers: { 'x-auth-token': adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'bench-temporary-1', pin: '1234' }),
    });
    const pageToken = await issued.text();
    if (issued.status !== 200) {
      throw new Error(`PUT /token answered ${issued.status}: ${pageToken.slice(0, 200)}`);
    }
    // One browser visit: the page's size for the reference, and a CSRF cookie and field for the
    // POST (the cookie is not bound to a token, so it serves every token).
    const pagePath = `/?token=${encodeURIComponent(pageToken)}`;
    const page = await fetch(new URL(pagePath, api), { headers: { accept: 'text/html' } });
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const cookie = page.headers.get('set-cookie')?.split(';')[0];
    if (page.status !== 200 || !csrf || !cookie) {
      throw new Error(`the page answered ${page.status} without a CSRF cookie and field`);
    }
    const pageBytes = Buffer.byteLength(html);

    const barePort = await freePort();
    progress(`starting the bare Koa reference (${pageBytes} bytes of HTML)…`);
    const bareServer = await startProcess(
      join(ROOT, 'bench', 'bare-koa.ts'),
      {},
      /bare Koa listening/,
      [String(barePort), String(pageBytes)],
    );
    servers.push(bareServer);
    // Both servers in every row: the one not under load shows what it costs idle.
    const parts = loadParts({ api: apiServer, 'bare Koa': bareServer });

    const html200 = (marker: string) => (body: string) => body.includes(marker);
    const bare = await measure(
      {
        name: 'bare Koa GET (reference)',
        url: `http://127.0.0.1:${barePort}/`,
        server: bareServer,
        parts,
        request: { method: 'GET', path: '/', headers: { accept: 'text/html' } },
        expectedStatus: 200,
        expectBody: (body) => body.length === pageBytes,
      },
      seconds,
      progress,
    );
    const pageGet = await measure(
      {
        name: 'page GET (valid token)',
        url: api,
        server: apiServer,
        parts,
        // No cookie: a first visit, so every answer also mints a CSRF cookie.
        request: { method: 'GET', path: pagePath, headers: { accept: 'text/html' } },
        expectedStatus: 200,
        expectBody: html200('name="csrf"'),
      },
      seconds,
      progress,
    );
    const put = await measure(
      {
        name: 'PUT /token (admin)',
        url: api,
        server: apiServer,
        parts,
        // Its own user: re-issuing bench-page-user's token would kill the page GET's.
        request: {
          method: 'PUT',
          path: '/token/bench-put-user',
          headers: { 'x-auth-token': adminToken, 'content-type': 'application/json' },
          body: JSON.stringify({ password: 'bench-temporary-2', pin: '1234' }),
        },
        expectedStatus: 200,
        expectBody: (body) => /^[A-Za-z0-9_-]{43}$/.test(body),
      },
      seconds,
      progress,
    );

    // Each wrong PIN counts against its link, which locks at max_attempts: rotate over enough
    // seeded tokens that none locks (sized from the page GET, which does less per request).
    const perToken = config.setpass.max_attempts - 1;
    const expected = Math.max(pageGet.rps, 1000) * 1.5 * (seconds + WARMUP_SECONDS + 1);
    const tokens = await seedTokens(
      config.setpass.database,
      new SecretBox(config.secrets.setpass_key),
      Math.ceil(expected / perToken),
      progress,
    );
    let sent = 0;
    const csrfField = `&csrf=${encodeURIComponent(csrf)}`;
    const wrongPin = await measure(
      {
        name: 'POST / wrong PIN',
        url: api,
        server: apiServer,
        parts,
        request: {
          method: 'POST',
          path: '/',
          headers: {
            accept: 'text/html',
            'content-type': 'application/x-www-form-urlencoded',
            cookie,
          },
          setupRequest: (request) => ({
            ...request,
            body:
              `token=${tokens[sent++ % tokens.length]}&pin=0000` +
              `&password=bench-new-pass-1&confirm_password=bench-new-pass-1${csrfField}`,
          }),
        },
        expectedStatus: 403,
        expectBody: html200('Wrong PIN'),
      },
      seconds,
      progress,
    );

    const rows = [bare, pageGet, put, wrongPin];
    const ratio = pageGet.rps / bare.rps;
    const cpu = cpus();
    const table: Table = {
      title: `Setpass API under load (${quick ? 'quick' : 'full'} run)`,
      columns: [
        'request',
        'req/s',
        'p50 ms',
        'p99 ms',
        'answers',
        'non-2xx',
        'unexpected',
        'server CPU µs/req',
        '× bare Koa',
      ],
      rows: rows.map((r) => [
        r.name,
        Math.round(r.rps),
        r.p50,
        r.p99,
        r.statuses,
        r.non2xx,
        r.unexpected,
        Number.isNaN(r.cpuPerAnswer) ? '–' : Math.round(r.cpuPerAnswer),
        r.rps / bare.rps,
      ]),
      notes: [
        `Target: page GET ≥ 0.5 × bare Koa: ${ratio >= 0.5 ? 'met' : 'MISSED'} (${ratio.toFixed(2)}).`,
        `Each row: ${CONNECTIONS} connections, ${seconds} s after a ${WARMUP_SECONDS} s warm-up; ` +
          `req/s is autocannon's mean per second, p50/p99 from every response's time.`,
        `One machine (${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, Node ` +
          `${process.version}): the API, bare Koa and autocannon are three processes on loopback ` +
          `sharing these cores (1-minute load average ${loadBefore.toFixed(1)} before the run: ` +
          `other work on the machine lowers req/s; server CPU µs/req is steadier).`,
        `Limits raised so the load meets the code, not the limiters: rate_limit and ` +
          `token_rate_limit ${HUGE_LIMIT}/min, max_attempts ${MAX_ATTEMPTS} (its maximum); the ` +
          `wrong-PIN row rotates over ${tokens.length} seeded tokens, at most ${perToken} tries each.`,
        `Page GET and wrong-PIN POST send accept: text/html (as a browser) and get the HTML page ` +
          `(${pageBytes} bytes for the GET, which has no cookie, so each answer mints a CSRF ` +
          `cookie); bare Koa answers the same number of bytes with no middleware and no log line.`,
        `Token store: a fresh SQLite file (WAL) in the OS temp directory; a wrong PIN writes its ` +
          `attempt counter. The API logs one JSON line per request to stdout (a pipe).`,
        `Server CPU µs/req: user + system CPU of the answering process (from /proc) per answer; ` +
          `for PUT /token, Keystone's is not included.`,
        `PUT /token sends one admin token throughout; one Keystone check of it (POST ` +
          `/v3/auth/tokens) takes ${median(checkMs).toFixed(0)} ms here (median of 5, before the load), ` +
          `so a p50 far below that means the API answered from a cache of earlier checks.`,
        `Keystone bcrypt password_hash_rounds ${keystoneHashRounds()}: only password logins ` +
          `pay it (the bench's one admin login), none of these rows.`,
      ],
    };
    return [table, loadCpuTable(rows, seconds)];
  } finally {
    await Promise.allSettled(servers.map(stop));
    rmSync(dirname(config.setpass.database), { recursive: true, force: true });
  }
}
