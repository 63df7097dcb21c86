// Load generation for the setpass benchmark: autocannon runs from this process against a server
// process, with its CPU time (and every process's) read from /proc; and the seeding of tokens to
// aim the load at.
import autocannon from 'autocannon';
import type { SecretBox } from '../api/secrets';
import { hashToken, newToken } from '../api/secrets';
import { SqliteTokenStore } from '../api/token-store-sqlite';
import type { RunningProcess } from '../test/support/processes';
import { cpuSnapshot, cpuUsed, servicePids, type CpuSnapshot, type Parts } from './process-cpu';
import { cpuTable } from './cpu-table';
import { quantile, type Table } from './table';

export const CONNECTIONS = 10;

export const WARMUP_SECONDS = 1;

export interface Load {
  name: string;
  url: string;
  /** The process answering, whose CPU time per request is reported. */
  server: RunningProcess;
  request: autocannon.Request;
  expectedStatus: number;
  /** Whether an answer with the expected status has the expected body. */
  expectBody: (body: string) => boolean;
  /** Processes whose CPU over the timed run is also read (bench/process-cpu.ts). */
  parts?: Parts;
}

export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  answers: number;
  statuses: string;
  non2xx: number;
  unexpected: number;
  /** The server's CPU time (user + system) per answer, in µs; NaN where /proc is missing. */
  cpuPerAnswer: number;
  /** CPU seconds each of the load's parts used over the timed run (none without parts). */
  cpu: CpuSnapshot;
}

/** CPU seconds a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(running: RunningProcess): number {
  return cpuSnapshot({ server: running.child.pid }).server ?? Number.NaN;
}

/** What a load's CPU is read on: the servers, this process (autocannon) and the services. */
export function loadParts(servers: Record<string, RunningProcess>): Parts {
  return {
    ...Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.child.pid])),
    driver: process.pid,
    ...servicePids(),
  };
}

/** CPU µs per answer by process (the parts of `loadParts`) over each load's timed run. */
export function loadCpuTable(rows: Measured[], seconds: number): Table {
  const runs = rows.map((r) => ({ name: r.name, units: r.answers, cpu: r.cpu }));
  return cpuTable(
    'Setpass API',
    'request',
    runs,
    [
      `Over each row's ${seconds} s timed run, per answer. driver: this process, running ` +
        `autocannon (the load's cost, not the servers'); a row's idle server shows ~0.`,
      `Only PUT /token calls a service (Keystone, when the API's admin-token cache misses); ` +
        `the other services' share is their idle work, or other work on the machine.`,
    ],
    { in: 'µs' },
  );
}

/** One autocannon run; resolves with its result and every response time (ms, sub-ms precise). */
export function fire(
  load: Load,
  seconds: number,
  onAnswer: (status: number, body: string) => void,
): Promise<{ result: autocannon.Result; latencies: number[] }> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [{ ...load.request, onResponse: (status, body) => onAnswer(status, body) }],
      },
      (err: unknown, result) =>
        err
          ? reject(err instanceof Error ? err : new Error(String(err)))
          : resolve({ result, latencies }),
    );
    // autocannon's own histogram has 1 ms buckets: too coarse for sub-ms answers on loopback.
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

export async function measure(
  load: Load,
  seconds: number,
  progress: (msg: string) => void,
): Promise<Measured> {
  progress(
    `${load.name}: ${WARMUP_SECONDS} s warm-up, then ${seconds} s at ${CONNECTIONS} connections…`,
  );
  await fire(load, WARMUP_SECONDS, () => undefined);
  let unexpected = 0;
  let example: string | undefined;
  const partsBefore = cpuSnapshot(load.parts ?? {});
  const cpuBefore = cpuSeconds(load.server);
  const { result, latencies } = await fire(load, seconds, (status, body) => {
    if (status === load.expectedStatus && load.expectBody(body)) return;
    unexpected += 1;
    // An HTML page's title names the outcome ("Link locked"); its first bytes are boilerplate.
    const title = /<title>([^<]*)<\/title>/.exec(body)?.[1];
    example ??= `${status} ${title ?? body.replace(/\s+/g, ' ').slice(0, 200)}`;
  });
  const counts = Object.entries(result.statusCodeStats ?? {}).map(
    ([code, stat]) => `${code}×${stat.count ?? 0}`,
  );
  if (result.errors > 0) counts.push(`errors×${result.errors}`);
  const answers = latencies.length;
  const cpuPerAnswer = ((cpuSeconds(load.server) - cpuBefore) / answers) * 1e6;
  const cpu = cpuUsed(partsBefore, cpuSnapshot(load.parts ?? {}));
  unexpected += result.errors;
  if (answers === 0 || unexpected > (answers + result.errors) / 2) {
    throw new Error(
      `${load.name}: ${unexpected} of ${answers + result.errors} answers were not the expected ` +
        `${load.expectedStatus} (${counts.join(', ') || 'no answers'})` +
        (example ? `; e.g. ${example}` : ''),
    );
  }
  const measured: Measured = {
    name: load.name,
    rps: result.requests.average,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    answers,
    statuses: counts.join(' '),
    non2xx: result.non2xx,
    unexpected,
    cpuPerAnswer,
    cpu,
  };
  progress(
    `${load.name}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50.toFixed(2)} ms, ` +
      `p99 ${measured.p99.toFixed(2)} ms (${measured.statuses})`,
  );
  return measured;
}

/** Stops a server; SIGKILL when it has not exited after a graceful while. */
export async function stop(running: RunningProcess): Promise<void> {
  const killer = setTimeout(() => void running.stop('SIGKILL'), 10_000);
  try {
    await running.stop();
  } finally {
    clearTimeout(killer);
  }
}

/** Writes `count` live tokens (PIN 1234) straight into the store the API reads; returns them. */
export async function seedTokens(
  database: string,
  secrets: SecretBox,
  count: number,
  progress: (msg: string) => void,
): Promise<string[]> {
  progress(`seeding ${count} tokens for the wrong-PIN row…`);
  const store = new SqliteTokenStore(database);
  const tokens: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const userId = `bench-wrong-pin-${i}`;
      const token = newToken();
      await store.put({
        userId,
        tokenHash: hashToken(token),
        pinHash: secrets.pinHash(userId, '1234'),
        passwordSealed: secrets.encrypt(userId, 'bench-temporary-3'),
        workflowId: null,
        updatedAt: Date.now(),
      });
      tokens.push(token);
    }
  } finally {
    await store.close();
  }
  return tokens;
}
