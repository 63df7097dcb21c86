// reset-timing: the reset form must not tell whether an account exists, neither by its answer
// nor by its timing. Requests for an existing and an unknown address are interleaved against the
// API process, with a worker running the reset workflows as in production: once back to back,
// and once paced, as someone probing an address now and then would send them.
import { quantile } from '../../bench/table';
import { connectClient } from '../../lib/temporal';
import { resetWorkflowId } from '../../shared/onboarding';
import { startProcess, type RunningProcess } from '../support/processes';
import { createKeystoneUser, uniqueName } from '../support/services';
import {
  Checks,
  deleteUsers,
  postForm,
  session,
  sleep,
  startApi,
  type Answer,
  type ApiProcess,
  type Session,
} from './api-support';
import type { Figures, Mode, Scenario } from './scenario';

// A difference counts when it is both real (rank test, p < 0.01) and large enough to matter:
// over 2 ms and over 15% of the faster median. Network jitter hides less than that only to
// an attacker with few samples; this machine's own noise stays well below it.
const MIN_DELTA_MS = 2;
const MIN_DELTA_SHARE = 0.15;
const SIGNIFICANCE = 0.01;
// Long enough for the unknown address's workflow to have ended before the next probe.
const PACE_MS = 700;
// A series that tells is measured again: a leak is systematic and tells the same way twice,
// while this shared machine's noise, at p < 0.01 over a few series per run, now and then tells
// once (unknown 2 ms slower in one CI run, existing 1 ms slower in the next two).
const SAMPLES_TO_CONFIRM = 2;

/** What a client can compare: status, headers except Date, body without the CSRF value. */
function visible(answer: Answer): string {
  const headers = [...answer.headers.entries()]
    .filter(([k]) => k !== 'date')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const body = answer.text.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');
  return `${answer.status}\n${headers}\n\n${body}`;
}

/** Two-sided Mann-Whitney U test (normal approximation, mid-ranks for ties): the p-value. */
function mannWhitneyP(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort(
    (x, y) => x.v - y.v,
  );
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const rankSumA = all.reduce((sum, x, i) => (x.a ? sum + ranks[i]! : sum), 0);
  const [n1, n2] = [a.length, b.length];
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const z = Math.abs(u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? y : 2 - y;
}

const reset = (api: ApiProcess, s: Session, email: string) =>
  postForm(
    new URL('reset', api.url).toString(),
    { name: 'Timing Probe', email, confirm_email: email, pin: '2580' },
    s,
    { accept: 'text/html' },
  );

interface Series {
  name: string;
  known: number[];
  unknown: number[];
}

interface Verdict {
  medians: { known: number; unknown: number };
  /** Existing minus unknown median, ms. */
  delta: number;
  p: number;
  tells: boolean;
}

function verdict({ known, unknown }: Series): Verdict {
  const medians = { known: quantile(known, 0.5), unknown: quantile(unknown, 0.5) };
  const delta = medians.known - medians.unknown;
  const p = mannWhitneyP(known, unknown);
  const large =
    Math.abs(delta) >
    Math.max(MIN_DELTA_MS, MIN_DELTA_SHARE * Math.min(medians.known, medians.unknown));
  return { medians, delta, p, tells: large && p < SIGNIFICANCE };
}

/** Proves the comparison tells a systematic gap of a few ms, and not the same distribution. */
export function timingSelfCheck(): void {
  const noise = (i: number) => ((i * 7919) % 100) / 100;
  const base = Array.from({ length: 30 }, (_, i) => 4 + noise(i));
  const slower = base.map((v) => v + 3);
  const shuffled = Array.from({ length: 30 }, (_, i) => 4 + noise(i * 13 + 5));
  if (!verdict({ name: 'gap', known: slower, unknown: base }).tells)
    throw new Error('self-check: a 3 ms gap between two series would go unnoticed');
  if (verdict({ name: 'same', known: shuffled, unknown: base }).tells)
    throw new Error('self-check: two series of the same values would count as telling');
}

export type Which = 'known' | 'unknown';

/** What a series of interleaved probes gave: its verdicts and every visible answer. */
export interface Timings {
  series: { name: string; samples: Verdict[] }[];
  answers: Record<Which, Set<string>>;
}

export const emptyTimings = (): Timings => ({
  series: [],
  answers: { known: new Set(), unknown: new Set() },
});

/**
 * `pairs` interleaved probes of an existing and an unknown address, once back to back and once
 * paced; a series that tells is measured again. Fills `into` as it goes (a failure keeps what
 * was measured).
 */
export async function measureTimings(
  pairs: number,
  probe: (which: Which) => Promise<Answer>,
  progress: (message: string) => void,
  into: Timings,
): Promise<void> {
  const sample = async (name: string, pauseMs: number): Promise<Series> => {
    const one: Series = { name, known: [], unknown: [] };
    progress(`${pairs} interleaved pairs, ${name}`);
    for (let i = -3; i < pairs; i++) {
      // Alternating the order keeps "second in a pair" from favouring one side.
      const order = i % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const which of order) {
        const answer = await probe(which);
        if (i < 0) continue; // warm-up
        one[which].push(answer.ms);
        into.answers[which].add(visible(answer));
      }
      if (pauseMs) await sleep(pauseMs);
    }
    return one;
  };
  const measure = async (name: string, pauseMs: number) => {
    const samples = [verdict(await sample(name, pauseMs))];
    while (samples.at(-1)!.tells && samples.length < SAMPLES_TO_CONFIRM) {
      progress(`${name}: the timing told once; measuring again to confirm`);
      samples.push(verdict(await sample(name, pauseMs)));
    }
    into.series.push({ name, samples });
  };
  await measure('back to back', 0);
  await measure('paced', PACE_MS);
}

/** The checks on what was measured: one answer for both, and no series that tells; figures. */
export function judgeTimings(checks: Checks, { series, answers }: Timings, pairs: number): Figures {
  const same =
    answers.known.size === 1 &&
    answers.unknown.size === 1 &&
    [...answers.known][0] === [...answers.unknown][0];
  checks.check(
    'identical status, headers and body',
    same,
    `${answers.known.size} distinct answer(s) for the existing account, ` +
      `${answers.unknown.size} for the unknown one, equal: ${same}`,
  );
  const figures: Figures = { pairs };
  for (const { name, samples } of series) {
    // It tells only when every sample tells, the same way.
    const tells =
      samples.length === SAMPLES_TO_CONFIRM &&
      samples.every((v) => v.tells && Math.sign(v.delta) === Math.sign(samples[0]!.delta));
    const shown = samples
      .map(
        (v) =>
          `medians ${v.medians.known.toFixed(2)} ms (existing) vs ${v.medians.unknown.toFixed(2)} ms (unknown), ` +
          `difference ${v.delta.toFixed(2)} ms, p = ${v.p.toExponential(1)}`,
      )
      .join('; again: ');
    checks.check(`timing does not tell (${name})`, !tells, shown);
    const last = samples.at(-1)!;
    figures[`${name}: median existing/unknown ms`] =
      `${last.medians.known.toFixed(1)}/${last.medians.unknown.toFixed(1)}`;
    figures[`${name}: delta ms`] = last.delta;
    figures[`${name}: p`] = last.p.toExponential(1);
    if (samples.length > 1) figures[`${name}: samples`] = samples.length;
  }
  return figures;
}

/** Pairs per series: the reset's and the register form's checks use the same. */
export const timingPairs = (mode: Mode) => (mode === 'long' ? 200 : 30);

export const resetTiming: Scenario = {
  name: 'reset-timing',
  async run(mode, progress) {
    const pairs = timingPairs(mode);
    const checks = new Checks();
    const taskQueue = uniqueName('rel-reset');
    // The timing is the subject here, not the limits: no 429 in the way.
    const api = await startApi({
      KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
      KAIZEN_SETPASS__RATE_LIMIT: '1000000',
    });
    const known = `${uniqueName('rel-known')}@example.org`;
    const unknown = `${uniqueName('rel-nobody')}@example.org`;
    const users: string[] = [];
    let worker: RunningProcess | undefined;
    const timings = emptyTimings();
    let withoutWorker = 'no';
    try {
      users.push(
        await createKeystoneUser(api.config, { name: known, password: `tmp-${taskQueue}` }),
      );
      const s = await session(api.url);

      // The answer comes once the workflow is started, before any worker has run it.
      const first = [await reset(api, s, known), await reset(api, s, unknown)];
      checks.check(
        'answers without a worker',
        first.every((a) => a.status === 200),
        `statuses ${first.map((a) => a.status).join(', ')}`,
      );
      if (first.every((a) => a.status === 200)) withoutWorker = 'yes';

      progress('starting a worker on a private task queue');
      worker = await startProcess('worker.ts', api.env, /worker polling task queue/);
      await measureTimings(
        pairs,
        (which) => reset(api, s, which === 'known' ? known : unknown),
        progress,
        timings,
      );
    } finally {
      await worker?.stop('SIGTERM');
      await api.stop();
      await cleanUp(api, [known, unknown]);
      await deleteUsers(api.config, users);
    }

    const figures = judgeTimings(checks, timings, pairs);
    figures['answers without worker'] = withoutWorker;
    return checks.result(figures);
  },
};

/** Ends the reset workflows left waiting (the existing account's waits for its link for days). */
async function cleanUp(api: ApiProcess, emails: string[]): Promise<void> {
  const client = await connectClient(api.config);
  try {
    for (const email of emails) {
      await client.workflow
        .getHandle(resetWorkflowId(email))
        .terminate('reliability scenario finished')
        .catch(() => undefined); // already completed
    }
  } finally {
    await client.connection.close();
  }
}
