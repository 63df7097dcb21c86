// hostile-http: oversized, malformed and hostile requests against the API process. Every one
// gets a 4xx (never a 500), every echoed value is HTML-escaped, CR/LF in the reset fields is
// refused, and the API still answers afterwards.
import { randomBytes, randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { escapeHtml } from '../../api/pages';
import { connectClient } from '../../lib/temporal';
import { uniqueName } from '../support/services';
import { Checks, send, session, startApi, type ApiProcess, type Session } from './api-support';
import type { Scenario } from './scenario';

/** Markup that must never come back as markup: the pages carry no such tag of their own. */
const INJECTED_TAG = /<(script|svg|img|iframe|a\s+href=["']?javascript)\b/i;

const PAYLOADS = [
  '"><script>alert(1)</script>',
  "' autofocus onfocus='alert(1)",
  '</title><svg onload=alert(1)>',
  '<img src=x onerror=alert(1)>',
  '" onmouseover="alert(1)',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<IFRAME SRC="javascript:alert(1)">',
];

interface Reply {
  status: number;
  text: string;
  html: boolean;
}

interface Probe {
  name: string;
  send(): Promise<Reply>;
  /** Statuses that are right for it; any 4xx when absent. */
  expect?: number[];
  /** Text the answer must contain (e.g. which check refused it). */
  says?: RegExp;
  /** A hostile value that may be echoed, but only escaped. */
  echo?: string;
}

/** Writes `request` on a bare socket (what fetch would refuse to send) and reads the answer. */
function raw(api: ApiProcess, request: string | Buffer, waitMs = 3000): Promise<Reply> {
  const { port, hostname } = new URL(api.url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const done = () => {
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, html: /content-type: text\/html/i.test(text) });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined); // the server may close while we still write
    socket.on('close', () => {
      clearTimeout(timer);
      done();
    });
    socket.write(request);
  });
}

async function viaFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Reply> {
  const answer = await send(url, init);
  return {
    status: answer.status,
    text: answer.text,
    html: (answer.headers.get('content-type') ?? '').startsWith('text/html'),
  };
}

function probes(api: ApiProcess, s: Session): Probe[] {
  const root = api.url;
  const reset = new URL('reset', root).toString();
  const host = new URL(root).host;
  const cookie = s.cookie;
  const form = (url: string, fields: Record<string, string>, csrf = s.csrf, accept = 'text/html') =>
    viaFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept, cookie },
      body: new URLSearchParams({ ...fields, csrf }).toString(),
    });
  const body = (
    url: string,
    contentType: string | undefined,
    text: string | Buffer,
    method = 'POST',
  ) =>
    viaFetch(url, {
      method,
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        accept: 'text/html',
        cookie,
      },
      body: text,
    });
  const json = (url: string, value: unknown) =>
    body(url, 'application/json', typeof value === 'string' ? value : JSON.stringify(value));
  const big = 'a'.repeat(9 * 1024);
  const list: Probe[] = [];

  // Bodies over the 8 KiB limit, declared or streamed, on every endpoint that reads one.
  for (const url of [root, reset]) {
    list.push({
      name: `POST ${url} form over the limit`,
      send: () => body(url, 'application/x-www-form-urlencoded', `token=${big}`),
      expect: [413],
    });
    list.push({
      name: `POST ${url} JSON over the limit`,
      send: () => json(url, { token: big }),
      expect: [413],
    });
    list.push({
      name: `POST ${url} 1 MiB declared, 16 KiB sent`,
      send: () =>
        raw(
          api,
          `POST ${new URL(url).pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n${'x'.repeat(16384)}`,
        ),
      expect: [413],
    });
    list.push({
      name: `POST ${url} chunked over the limit`,
      send: () =>
        raw(
          api,
          `POST ${new URL(url).pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
            `${(4096).toString(16)}\r\n${'b'.repeat(4096)}\r\n`.repeat(3) +
            '0\r\n\r\n',
        ),
      expect: [413],
    });
  }
  list.push({
    name: 'PUT /token over the limit without admin token',
    send: () => body(new URL('token/someone', root).toString(), 'application/json', big, 'PUT'),
    expect: [401, 413],
  });

  // Malformed and mistyped bodies.
  const malformed: [string, string | undefined, string | Buffer][] = [
    ['broken JSON', 'application/json', '{not json'],
    ['JSON array', 'application/json', '[1,2]'],
    ['JSON string', 'application/json', '"token"'],
    ['JSON null', 'application/json', 'null'],
    ['JSON number field', 'application/json', '{"token":123,"name":5,"email":[]}'],
    ['JSON operator object', 'application/json', '{"token":{"$ne":null},"name":{"$gt":""}}'],
    ['JSON array field', 'application/json', '{"token":["a","b"],"email":["a@b.c"]}'],
    ['JSON __proto__', 'application/json', '{"__proto__":{"csrf":"x"},"token":"x"}'],
    ['JSON constructor', 'application/json', '{"constructor":{"prototype":{"csrf":"x"}}}'],
    ['JSON deep nesting', 'application/json', `${'['.repeat(4000)}${']'.repeat(4000)}`],
    ['JSON with BOM', 'application/json', '\ufeff{"token":"x"}'],
    ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['form bad percent', 'application/x-www-form-urlencoded', 'token=%zz&name=%E0%A4%A&csrf=%'],
    ['form repeated keys', 'application/x-www-form-urlencoded', 'token=a&token=b&csrf=1&csrf=2'],
    ['form bracket keys', 'application/x-www-form-urlencoded', 'token[]=a&name[x]=b&__proto__=c'],
    ['form NUL bytes', 'application/x-www-form-urlencoded', 'token=%00%00&name=%00&email=%00'],
    ['text/plain form', 'text/plain', 'token=abc&pin=1234'],
    [
      'multipart',
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc\r\n--x--\r\n',
    ],
    [
      'XML',
      'application/xml',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
    ['UTF-16 JSON', 'application/json; charset=utf-16', Buffer.from('{"token":"x"}', 'utf16le')],
    ['no content type', undefined, 'token=abc'],
    ['empty body', 'application/json', ''],
  ];
  for (const url of [root, reset]) {
    for (const [what, type, text] of malformed) {
      list.push({
        name: `POST ${new URL(url).pathname} ${what}`,
        send: () => body(url, type, text),
      });
    }
  }
  list.push({
    name: 'PUT /token bad JSON without admin token',
    send: () => body(new URL('token/x', root).toString(), 'application/json', '{bad', 'PUT'),
    expect: [401],
  });

  // Headers and the request line: the HTTP parser's limits and refusals.
  const rawGet = (extra: string, line = 'GET / HTTP/1.1') =>
    raw(api, `${line}\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);
  list.push(
    {
      name: '20 KiB cookie',
      send: () => rawGet(`Cookie: a=${'c'.repeat(20_480)}\r\n`),
      expect: [431],
    },
    {
      name: '20 KiB URL',
      send: () => rawGet('', `GET /?token=${'t'.repeat(20_480)} HTTP/1.1`),
      expect: [414, 431],
    },
    {
      name: '500 headers',
      send: () => rawGet(Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join('')),
      expect: [200, 400, 431],
    },
    {
      name: 'CR inside a header value',
      send: () => rawGet('X-Evil: a\rSet-Cookie: x=1\r\n'),
      expect: [400],
    },
    {
      name: 'LF inside a header value',
      send: () => rawGet('X-Evil: a\nSet-Cookie: x=1\r\n'),
      expect: [400],
    },
    {
      name: 'NUL in the request line',
      send: () => rawGet('', 'GET /\u0000 HTTP/1.1'),
      expect: [400],
    },
    { name: 'garbage request line', send: () => rawGet('', 'GARBAGE'), expect: [400] },
    {
      name: 'Content-Length and Transfer-Encoding',
      send: () =>
        raw(
          api,
          `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
        ),
      expect: [400],
    },
    {
      name: 'two different Content-Lengths',
      send: () =>
        raw(
          api,
          `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde`,
        ),
      expect: [400],
    },
    {
      name: 'negative Content-Length',
      send: () => rawGet('Content-Length: -1\r\n', 'POST / HTTP/1.1'),
      expect: [400],
    },
    {
      name: 'obs-fold header',
      send: () => rawGet('X-Folded: a\r\n b\r\n'),
      expect: [400],
    },
    {
      name: 'body shorter than declared, then silence',
      send: () =>
        raw(
          api,
          `POST /reset HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`,
          1500,
        ),
      expect: [0, 400, 408],
    },
    {
      name: 'hostile CSRF cookie is not echoed',
      send: () =>
        viaFetch(reset, {
          headers: { accept: 'text/html', cookie: 'kaizen_csrf="><script>alert(1)</script>' },
        }),
      expect: [200],
      echo: '"><script>alert(1)</script>',
    },
    {
      name: 'garbage X-Forwarded-For',
      send: () =>
        viaFetch(reset, { headers: { 'x-forwarded-for': '<script>, ::ffff:zz, 999.1.1.1' } }),
      expect: [200],
    },
    { name: 'TRACE /', send: () => rawGet('', 'TRACE / HTTP/1.1'), expect: [405, 501] },
    { name: 'PROPFIND /', send: () => rawGet('', 'PROPFIND / HTTP/1.1'), expect: [405, 501] },
    { name: 'DELETE /reset', send: () => viaFetch(reset, { method: 'DELETE' }), expect: [405] },
    {
      name: 'path traversal',
      send: () => rawGet('', 'GET /../../etc/passwd HTTP/1.1'),
      expect: [404],
    },
    {
      name: 'encoded traversal',
      send: () => rawGet('', 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1'),
      expect: [404],
    },
    {
      name: 'bad percent in a route parameter',
      send: () => viaFetch(new URL('token/%E0%A4%A', root).toString(), { method: 'PUT' }),
      expect: [400, 401, 404],
    },
    {
      name: 'token as an array',
      send: () => viaFetch(`${root}?token=a&token=b`, {}),
      expect: [400],
    },
  );

  // CR/LF in the reset fields, as a mail-header injection would need them.
  const resetFields = (name: string, email: string) => ({
    name,
    email,
    confirm_email: email,
    pin: '1234',
  });
  for (const [name, email, says] of [
    ['Bob\r\nBcc: evil@example.com', 'bob@example.org', /give your name/],
    ['Bob\nX-Injected: 1', 'bob@example.org', /give your name/],
    ['Bob', 'bob@example.org\r\nBcc: evil@example.com', /e-mail address of your account/],
    ['Bob', 'bob@example.org\nbcc:evil@example.com', /e-mail address of your account/],
    ['Bob', 'bob@example.org\u2028bcc:evil@example.com', /e-mail address of your account/],
    ['Bob', 'bob@example.org%0d%0abcc:evil@example.com', /e-mail address of your account/],
  ] as const) {
    list.push({
      name: `reset with CR/LF: ${JSON.stringify(name + ' ' + email).slice(0, 40)}`,
      send: () => form(reset, resetFields(name, email), s.csrf, 'text/plain'),
      expect: [400],
      says,
    });
  }

  // Hostile markup in every field a page echoes back: the reset form's name and e-mail, and
  // the token in the set-password form (shown again on a validation refusal, checked before the
  // CSRF field; a CSRF refusal needs a live token, never a hostile one).
  for (const payload of PAYLOADS) {
    list.push(
      {
        name: 'reset name echo',
        send: () => form(reset, resetFields(payload, 'x')),
        expect: [400],
        echo: payload,
      },
      {
        name: 'reset email echo',
        send: () => form(reset, resetFields('Bob', payload)),
        expect: [400],
        echo: payload,
      },
      {
        name: 'reset echo after CSRF refusal',
        send: () => form(reset, resetFields(payload, payload), 'forged'),
        expect: [403],
        echo: payload,
      },
      {
        name: 'reset echo via JSON',
        send: () => json(reset, { ...resetFields(payload, payload), csrf: s.csrf }),
        expect: [400],
        echo: payload,
      },
      {
        name: 'token echo on missing fields, forged CSRF',
        send: () => form(root, { token: payload }, 'forged'),
        expect: [400],
        echo: payload,
      },
      {
        name: 'token echo on missing fields',
        send: () => form(root, { token: payload }),
        expect: [400],
        echo: payload,
      },
      {
        name: 'token in the link',
        send: () =>
          viaFetch(`${root}?token=${encodeURIComponent(payload)}`, {
            headers: { accept: 'text/html' },
          }),
        expect: [404],
        echo: payload,
      },
    );
  }
  return list;
}

const HOSTILE = [
  ...PAYLOADS,
  '\r\n',
  '\u0000',
  '\u202e',
  '%00',
  '../',
  '{{7*7}}',
  '${7*7}',
  "' OR 1=1 --",
  'é😀',
];

/** A random request from hostile parts: method, path, content type, body, session or not. */
function fuzzProbe(api: ApiProcess, s: Session): Probe {
  const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;
  const str = () =>
    Array.from({ length: randomInt(1, 4) }, () => pick(HOSTILE)).join(
      pick(['', ' ', 'a', '&', '=']),
    );
  const value = (depth: number): unknown =>
    depth > 2 || randomInt(3) === 0
      ? pick([str(), str(), randomInt(1e6), null, true, 'x'.repeat(randomInt(9000))])
      : randomInt(2) === 0
        ? [value(depth + 1), value(depth + 1)]
        : { [pick(['token', 'name', 'email', 'pin', 'csrf', str()])]: value(depth + 1) };
  const fields = () => {
    const f: Record<string, string> = {};
    for (const k of [
      'token',
      'pin',
      'password',
      'confirm_password',
      'name',
      'email',
      'confirm_email',
    ]) {
      if (randomInt(2) === 0) f[k] = str();
    }
    if (randomInt(2) === 0) f.csrf = s.csrf;
    return f;
  };
  const method = pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH']);
  const path = pick([
    '',
    '',
    'reset',
    'reset',
    `token/${encodeURIComponent(str())}`,
    'healthz',
    encodeURIComponent(str()),
  ]);
  const query = randomInt(3) === 0 ? `?token=${encodeURIComponent(str())}` : '';
  const kind = pick(['form', 'json', 'bytes', 'none']);
  const type = {
    form: 'application/x-www-form-urlencoded',
    json: 'application/json',
    bytes: pick(['application/octet-stream', 'text/plain', 'application/json']),
    none: undefined,
  }[kind];
  const payload =
    method === 'GET'
      ? undefined
      : {
          form: new URLSearchParams(fields()).toString(),
          json: JSON.stringify(randomInt(2) === 0 ? fields() : value(0)),
          bytes: randomBytes(randomInt(1, 10_000)),
          none: undefined,
        }[kind];
  return {
    name: `fuzz ${method} /${path.slice(0, 20)} ${kind}`,
    send: () =>
      viaFetch(`${api.url}${path}${query}`, {
        method,
        headers: {
          ...(type ? { 'content-type': type } : {}),
          accept: pick(['text/html', 'text/plain', '*/*', 'application/json']),
          ...(randomInt(2) === 0 ? { cookie: s.cookie } : {}),
        },
        body: payload,
      }),
    // Anything but a server error; 200 for the pages and the reset answer.
    expect: Array.from({ length: 100 }, (_, i) => 400 + i).concat([200]),
  };
}

export const hostileHttp: Scenario = {
  name: 'hostile-http',
  async run(mode, progress) {
    const fuzzCount = mode === 'long' ? 5000 : 200;
    const checks = new Checks();
    const taskQueue = uniqueName('rel-hostile');
    // Every request should reach the handlers: limits high; X-Forwarded-For parsed as behind
    // a proxy so that garbage in it is exercised too.
    const api = await startApi({
      KAIZEN_SETPASS__RATE_LIMIT: '1000000',
      KAIZEN_SETPASS__TOKEN_RATE_LIMIT: '1000000',
      KAIZEN_SETPASS__TRUST_PROXY: 'true',
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
    });
    let sent = 0;
    let serverErrors = 0;
    let notImplemented = 0;
    let unescaped = 0;
    let escaped = 0;
    const wrong: string[] = [];
    try {
      const s = await session(api.url);
      const list = probes(api, s);
      progress(`${list.length} crafted requests, then ${fuzzCount} random ones`);
      for (const probe of [
        ...list,
        ...Array.from({ length: fuzzCount }, () => fuzzProbe(api, s)),
      ]) {
        let reply: Reply;
        try {
          reply = await probe.send();
        } catch (err) {
          // fetch itself gave up: count it, it is not the server's answer.
          wrong.push(`${probe.name}: no answer (${(err as Error).message})`);
          continue;
        }
        sent += 1;
        if (reply.status === 501) notImplemented += 1;
        else if (reply.status >= 500) serverErrors += 1;
        const statusOk = probe.expect
          ? probe.expect.includes(reply.status)
          : reply.status >= 400 && reply.status < 500;
        if (!statusOk || (probe.says && !probe.says.test(reply.text))) {
          wrong.push(
            `${probe.name}: ${reply.status} ${reply.text.slice(0, 100).replace(/\s+/g, ' ')}`,
          );
        }
        const echoes = probe.echo ? [probe.echo, probe.echo.toLowerCase()] : [];
        if (INJECTED_TAG.test(reply.text) || echoes.some((e) => reply.text.includes(e))) {
          unescaped += 1;
          wrong.push(
            `${probe.name}: unescaped echo in ${reply.status} ${reply.html ? 'HTML' : 'text'}`,
          );
        } else if (echoes.some((e) => reply.text.includes(escapeHtml(e)))) {
          escaped += 1;
        }
      }
      const health = await send(new URL('healthz', api.url).toString());
      checks.check(
        'still healthy afterwards',
        health.status === 200 && health.text === 'ok',
        `healthz ${health.status}`,
      );
      checks.check(
        'process still running',
        api.current().child.exitCode === null,
        'the API exited',
      );
    } finally {
      await api.stop();
      await terminateLeftovers(api, taskQueue);
    }
    // A client that hangs up mid-body is no server failure, but it is logged as one (500).
    const logged = api.failures();
    const aborts = logged.filter((l) => l.includes('"error":"aborted"'));
    const failed = logged.filter((l) => !aborts.includes(l));
    checks.check(
      'no 5xx',
      serverErrors === 0 && failed.length === 0,
      `${serverErrors} answers 5xx; logged: ${failed.slice(0, 3).join(' | ')}`,
    );
    checks.check(
      'a client hanging up is not logged as a server error',
      aborts.length === 0,
      `${aborts.length} body upload(s) cut off by the client logged as "request failed", status 500`,
    );
    checks.check(
      'no unescaped echo',
      unescaped === 0,
      `${unescaped} answers echo markup unescaped`,
    );
    // Proves the echo sites were reached: each payload on each of its six echoing probes.
    checks.check(
      'echo sites reached',
      escaped >= PAYLOADS.length * 6,
      `only ${escaped} escaped echoes seen`,
    );
    checks.check('every answer as expected', wrong.length === 0, wrong.slice(0, 8).join(' | '));
    return checks.result({
      requests: sent,
      '5xx': serverErrors,
      '501 unknown method': notImplemented,
      'aborts logged 500': aborts.length,
      'unescaped echoes': unescaped,
      'escaped echoes': escaped,
      unexpected: wrong.length,
    });
  },
};

/** A random body could in principle pass as a valid reset: end what it started. */
async function terminateLeftovers(api: ApiProcess, taskQueue: string): Promise<void> {
  const client = await connectClient(api.config);
  try {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow
        .getHandle(w.workflowId, w.runId)
        .terminate('reliability scenario finished');
    }
  } finally {
    await client.connection.close();
  }
}
